#!/usr/bin/env bash
# Nightly backup of the hotline bot's SQLite database (one instance).
#   backup-sqlite.sh [DATABASE]   run by hotline-backup.service as the hotline user
# sqlite3's .backup copies a consistent snapshot through SQLite itself: safe while the bot runs
# (WAL mode: the bot keeps writing during the copy). Never copy the live file with cp.
# Restore: systemctl stop hotline-bot@single, then
#   install -o hotline -g hotline -m 600 /var/backups/hotline/hotline-YYYYMMDD-HHMMSS.sqlite3 \
#       /var/lib/hotline/hotline.sqlite3
#   rm -f /var/lib/hotline/hotline.sqlite3-wal /var/lib/hotline/hotline.sqlite3-shm
# and start it again (the -wal and -shm files belong to the replaced database).
# The privacy keys are not in this backup, on purpose: keep them apart (see README, Deployment).
set -euo pipefail

# shellcheck source=backup-common.sh
source "$(dirname "${BASH_SOURCE[0]}")/backup-common.sh"

database="${1:-${SQLITE_DATABASE:-/var/lib/hotline/hotline.sqlite3}}"
backup_dir="${BACKUP_DIR:-/var/backups/hotline}"
keep_days="${KEEP_DAYS:-14}"
check_keep_days "$keep_days"

if [[ ! -f "$database" ]]; then
    echo "no database at $database" >&2
    exit 1
fi

umask 077
mkdir -p "$backup_dir"
name="$(basename "$database" .sqlite3)"
stamp="$(date +%Y%m%d-%H%M%S)"
# A name of its own for the copy in progress, so two runs at once never share one.
partial="$(mktemp "$backup_dir/.$name-$stamp-XXXXXX.partial")"
trap 'rm -f "$partial"' EXIT

# .timeout: wait for the bot's writes instead of failing with "database is locked".
sqlite3 -bail -cmd ".timeout 30000" "$database" ".backup '$partial'"
check="$(sqlite3 "$partial" "PRAGMA integrity_check;")"
if [[ "$check" != "ok" ]]; then
    echo "backup of $database failed the integrity check: $check" >&2
    exit 1
fi
target="$(keep_as "$backup_dir/$name-$stamp" sqlite3 "$partial")"

# Old copies go only after today's succeeded (set -e stops before this otherwise).
find "$backup_dir" -maxdepth 1 -type f -name "$name-*.sqlite3" -mtime +"$keep_days" -delete
echo "backup written: $target ($(du -h "$target" | cut -f1))"
