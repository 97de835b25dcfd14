#!/usr/bin/env bash
# A `python -m bot` command on the server, run as the service runs: as the hotline user, with
# the secrets of /etc/hotline/secrets.env (root-only, so run this as root), in the data folder.
#   /opt/hotline/deploy/hotline-cli.sh config check --config /etc/hotline/instance-a.yaml
#   /opt/hotline/deploy/hotline-cli.sh export --config /etc/hotline/instance-a.yaml --period 2026-11
# Tools run without those secrets would not read the tickets' sealed values (and stop saying so).
# The values reach the command through its environment, never its command line.
set -euo pipefail

secrets="${HOTLINE_SECRETS:-/etc/hotline/secrets.env}"
user="${HOTLINE_USER:-hotline}"
python="${HOTLINE_PYTHON:-/opt/hotline/.venv/bin/python}"
workdir="${HOTLINE_WORKDIR:-/var/lib/hotline}"

if [[ ! -r "$secrets" ]]; then
    echo "cannot read $secrets: run this as root" >&2
    exit 2
fi
# KEY=value lines as systemd's EnvironmentFile= reads them (no quotes); comments skipped. Read,
# not sourced: nothing in the file is run.
while IFS= read -r line || [[ -n "$line" ]]; do
    [[ "$line" =~ ^[[:space:]]*(#|$) ]] && continue
    if [[ ! "$line" =~ ^([A-Za-z_][A-Za-z0-9_]*)=(.*)$ ]]; then
        echo "$secrets: not a KEY=value line (keys and values are never printed)" >&2
        exit 2
    fi
    [[ -n "${BASH_REMATCH[2]}" ]] && export "${BASH_REMATCH[1]}=${BASH_REMATCH[2]}"
done < "$secrets"

cd "$workdir"
if [[ "$(id -un)" == "$user" ]]; then
    exec "$python" -m bot "$@"
fi
# The user's own home and names, as systemd's User= gives them (with root's HOME, libpq-style
# lookups such as ~/.postgresql would read root's files).
HOME="$(getent passwd "$user" | cut -d: -f6)"
export HOME USER="$user" LOGNAME="$user"
exec setpriv --reuid="$user" --regid="$user" --init-groups -- "$python" -m bot "$@"
