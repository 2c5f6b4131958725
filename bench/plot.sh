#!/bin/sh
# plot.sh [DATA [PNG]]: draw the figure of keel-performance(7) from the bench figures kept in
# bench/perf-data.txt (written by hand from the output of bench/svscan.sh and bench/supervise.sh;
# its comments say when and how) into doc/keel-performance.png: the scale-up of a tree against
# s6 (wall time and CPU time from the scanner's start to every service up) and private memory.
# Needs gnuplot (Debian: apt-get install gnuplot-nox). Only for whoever refreshes the figures:
# the PNG is committed, and make html just copies it.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
data=${1:-$top/bench/perf-data.txt}
out=${2:-$top/doc/keel-performance.png}
command -v gnuplot >/dev/null 2>&1 || { echo "bench/plot.sh: needs gnuplot (gnuplot-nox)" >&2; exit 100; }
[ -r "$data" ] || { echo "bench/plot.sh: unable to read $data" >&2; exit 111; }

gnuplot <<EOF
set terminal pngcairo size 1260,420 font "DejaVu Sans,10" noenhanced
set output "$out.tmp"
set multiplot layout 1,3 title "keel against s6 (Debian s6 2.11): lower is better"
set key top left
set grid ytics lc rgb "#dddddd"
set border 3
set tics nomirror
set xlabel "services in the tree"
set xtics (100, 500, 1000)
set xrange [0:1100]
set yrange [0:*]

set title "start to all up, wall time"
set ylabel "ms"
plot "$data" index 0 using 1:2 with linespoints lw 2 pt 7 lc rgb "#0b5394" title "keel", \
     "" index 0 using 1:3 with linespoints lw 2 pt 5 lc rgb "#cc4125" title "s6"

set title "start to all up, CPU time of the whole tree"
plot "$data" index 0 using 1:4 with linespoints lw 2 pt 7 lc rgb "#0b5394" title "keel", \
     "" index 0 using 1:5 with linespoints lw 2 pt 5 lc rgb "#cc4125" title "s6"

set title "private memory (Private_Clean + Private_Dirty)"
set ylabel "KiB"
set xlabel "one supervise of 200; svscan with 100 and 1000 services"
set xrange [-0.6:2.6]
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set xtics () scale 0
plot "$data" index 1 using 2:xtic(1) lc rgb "#0b5394" title "keel", \
     "" index 1 using 3 lc rgb "#cc4125" title "s6"
unset multiplot
EOF
mv "$out.tmp" "$out"
echo "wrote $out"
