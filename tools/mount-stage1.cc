// mount-stage1: the mounts a Linux pid 1 needs before stage1 (/proc, /sys, /dev, /run...),
// made idempotent: what is already mounted with the right type is left alone, so running it
// twice mounts nothing the second time. Never forks; execs into the rest of its command line.
#include "keel/err.h"
#include "keel/exec.h"
#include "keel/mountinfo.h"
#include "keel/opt.h"

#include <cerrno>
#include <string_view>
#include <sys/mount.h>
#include <sys/stat.h>

namespace {

constexpr std::string_view usage = "mount-stage1 [ -C ] [ -q ] [ -r | -R ] [ -D ] [ -a ] prog...";

struct Target {
    const char* point;
    const char* fstype;
    const char* source;
    unsigned long flags;
    const char* data;
};

constexpr unsigned long nosuid_nodev_noexec = MS_NOSUID | MS_NODEV | MS_NOEXEC;

constexpr Target proc_fs{"/proc", "proc", "proc", nosuid_nodev_noexec, ""};
constexpr Target sys_fs{"/sys", "sysfs", "sysfs", nosuid_nodev_noexec, ""};
constexpr Target dev_fs{"/dev", "devtmpfs", "dev", MS_NOSUID | MS_NOEXEC, "mode=0755"};
constexpr Target pts_fs{"/dev/pts", "devpts", "devpts", MS_NOSUID | MS_NOEXEC,
                        "gid=5,mode=0620,ptmxmode=0666"};
constexpr Target shm_fs{"/dev/shm", "tmpfs", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777"};
constexpr Target run_fs{"/run", "tmpfs", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755"};

bool quiet = false;

// Already a mount point of the wanted type? Before /proc is mounted nobody can tell: then the
// mount is tried, and EBUSY taken as "already there".
bool already(const Target& t)
{
    return keel::mounted_as(t.point, t.fstype) == 1;
}

void fail(const Target& t, bool mandatory, std::string_view what)
{
    if (mandatory) keel::die_sys(keel::exit_sys, "unable to ", what, " ", t.point);
    if (!quiet) keel::warn_sys("unable to ", what, " ", t.point);
}

void mount_one(const Target& t, bool mandatory)
{
    if (already(t)) return;
    if (mkdir(t.point, 0755) < 0 && errno != EEXIST) {
        fail(t, mandatory, "mount");
        return;
    }
    if (mount(t.source, t.point, t.fstype, t.flags, t.data) < 0 && errno != EBUSY)
        fail(t, mandatory, "mount");
}

void remount(const Target& t)
{
    if (mount(t.source, t.point, t.fstype, MS_REMOUNT | t.flags, t.data) < 0)
        fail(t, true, "remount");
}

} // namespace

int main(int argc, char** argv)
{
    keel::prog = "mount-stage1";
    bool container = false, no_dev = false, all = false;
    char run_mode = 'm'; // m: mount, r: remount, R: leave alone
    keel::OptParser opts(argc, argv, "CqrRDa");
    while (int c = opts.next()) {
        switch (c) {
        case 'C': container = true; break;
        case 'q': quiet = true; break;
        case 'r':
        case 'R': run_mode = static_cast<char>(c); break;
        case 'D': no_dev = true; break;
        case 'a': all = true; break;
        default: keel::die_usage(usage);
        }
    }
    if (opts.index() >= argc) keel::die_usage(usage);

    mount_one(proc_fs, true);
    mount_one(sys_fs, false);
    if (!container && !no_dev) mount_one(dev_fs, true);
    if (all) {
        mount_one(pts_fs, false);
        mount_one(shm_fs, false);
    }
    if (run_mode == 'm') mount_one(run_fs, true);
    if (run_mode == 'r') remount(run_fs);
    keel::xexec(argv + opts.index());
}
