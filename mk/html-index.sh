#!/bin/sh
# html-index.sh PAGE...: print the index.html of the HTML manual (make html, mk/docs.mk): every
# man page given (doc/NAME.SECTION) linked as NAME.SECTION.html with the description of its
# NAME line, grouped by section: the guides (section 7, keel(7) first), then the programs
# (section 8), then any other section.
set -eu

# The page's NAME line, "name \- description": the description as HTML text.
describe() {
    awk '
        /^\.SH +"?NAME"?[ \t]*$/ { getline; line = $0; found = 1; exit }
        END {
            if (!found) exit 1
            i = index(line, " \\- "); if (i) line = substr(line, i + 4)
            gsub(/\\-/, "-", line); gsub(/\\&/, "", line); gsub(/\\e/, "\\", line)
            gsub(/\\f[BIRP]/, "", line); gsub(/\\\(em/, "\342\200\224", line)
            gsub(/&/, "\\&amp;", line); gsub(/</, "\\&lt;", line); gsub(/>/, "\\&gt;", line)
            print line
        }' "$1"
}

# entries SECTION: one <dt>/<dd> pair per page of that section, keel.7 first.
entries() {
    for f in "$@"; do
        case $f in *.$sec) ;; *) continue ;; esac
        p=${f##*/}
        case $p in keel.7) printf '0 %s\n' "$f" ;; *) printf '1 %s\n' "$f" ;; esac
    done | sort | while read -r _ f; do
        p=${f##*/}
        d=$(describe "$f") || { echo "html-index.sh: no NAME line in $f" >&2; exit 1; }
        printf '  <dt><a class="Xr" href="%s.html"><b>%s</b>(%s)</a></dt>\n' "$p" "${p%.*}" "${p##*.}"
        printf '  <dd>%s</dd>\n' "$d"
    done
}

cat <<'EOF'
<!DOCTYPE html>
<html>
<head>
  <meta charset="utf-8"/>
  <meta name="viewport" content="width=device-width, initial-scale=1.0"/>
  <link rel="stylesheet" href="keel.css" type="text/css" media="all"/>
  <title>keel manual</title>
</head>
<body>
<div class="manual-text index">
<h1>keel manual</h1>
<p>Small programs that run a Linux machine, or a container, from process 1 to power-off:
s6-compatible supervision, logging, init and service management. Every page here is also a man
page of the source tree's <code>doc/</code>.</p>
EOF

secs=$(for f in "$@"; do echo "${f##*.}"; done | sort -u)
for sec in 7 $(echo "$secs" | grep -vx 7 || :); do
    echo "$secs" | grep -qx "$sec" || continue
    case $sec in
        7) title='Guides and overview (section 7)' ;;
        8) title='Programs (section 8)' ;;
        1) title='User commands (section 1)' ;;
        *) title="Section $sec" ;;
    esac
    printf '<h2 id="section-%s">%s</h2>\n<dl class="index">\n' "$sec" "$title"
    entries "$@"
    printf '</dl>\n'
done

cat <<'EOF'
</div>
</body>
</html>
EOF
