# Shared by backup-postgres.sh and backup-sqlite.sh (sourced, not run).

# check_keep_days VALUE: a whole number of days, checked before anything is written (a bad
# value must not surface after the dump).
check_keep_days() {
    if [[ ! "$1" =~ ^[0-9]+$ ]]; then
        echo "KEEP_DAYS must be a whole number of days, not '$1'" >&2
        exit 2
    fi
}

# keep_as BASE EXT FILE: FILE becomes BASE.EXT, or BASE-2.EXT, BASE-3.EXT ... if that is taken
# (two backups in one second); ln refuses to replace a file, so no backup overwrites another.
keep_as() {
    local base="$1" ext="$2" file="$3" candidate="$1.$2" n=1
    until ln "$file" "$candidate" 2>/dev/null; do
        n=$((n + 1))
        candidate="$base-$n.$ext"
    done
    rm -f "$file"
    echo "$candidate"
}
