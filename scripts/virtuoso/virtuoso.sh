#!/usr/bin/env bash
# SDSF Graph's own Virtuoso: install it from Debian's package, run an instance of its own on loopback with a
# read-only public SPARQL endpoint, load a built graph (build/sdsf.nq) into it, stop it.
#
#   scripts/virtuoso/virtuoso.sh install            # apt-get, once; immediate when virtuoso-t is there
#   scripts/virtuoso/virtuoso.sh start DIR          # writes DIR/virtuoso.ini, starts, secures (idempotent)
#   scripts/virtuoso/virtuoso.sh load DIR FILE.nq   # loads the N-Quads (named graphs kept; idempotent)
#   scripts/virtuoso/virtuoso.sh add DIR FILE.nq    # loads more N-Quads, keeping what is loaded (idempotent)
#   scripts/virtuoso/virtuoso.sh stop DIR           # stops the instance (idempotent)
#   scripts/virtuoso/virtuoso.sh status DIR         # "running http=… isql=…" or "stopped" (exit 1)
#   scripts/virtuoso/virtuoso.sh isql DIR 'SQL;'    # runs SQL as dba (for maintenance)
#
# DIR is the instance's folder (database, log, ini, dba password, import/), e.g. build/virtuoso.
# Settings, from the environment when the instance is first started (then kept in DIR/instance.env):
#   VIRTUOSO_HTTP_PORT (8890)  VIRTUOSO_ISQL_PORT (1111)  VIRTUOSO_MAX_ROWS (10000)
#   VIRTUOSO_MAX_SECONDS (10)  VIRTUOSO_MAX_COST (0: off)     VIRTUOSO_BUFFERS (20000, about 160 MB)
# The SPARQL endpoint is http://127.0.0.1:$VIRTUOSO_HTTP_PORT/sparql; its anonymous user may only read, and may
# not query another endpoint (SERVICE) nor fetch a URL (start and load revoke it; see deny_federation).
set -euo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
PACKAGE=virtuoso-opensource

die() { echo "virtuoso.sh: $*" >&2; exit 2; }

cmd_install() {
    if command -v virtuoso-t >/dev/null && command -v isql-vt >/dev/null; then
        echo "virtuoso: already installed ($(command -v virtuoso-t))"
        return 0
    fi
    [ "$(id -u)" = 0 ] || die "installing $PACKAGE needs root (apt-get): run this as root"
    export DEBIAN_FRONTEND=noninteractive
    # The package asks for a password of its system-wide instance; that instance is never used (each SDSF
    # instance has its own database and dba password), so the answer is left empty and the service disabled.
    printf '%s\n' \
        "virtuoso-opensource-7 virtuoso-opensource-7/dba-password password " \
        "virtuoso-opensource-7 virtuoso-opensource-7/dba-password-again password " \
        | debconf-set-selections
    # Nor is that instance started during the installation (no init system here anyway).
    local policy=/usr/sbin/policy-rc.d created=""
    if [ ! -e "$policy" ]; then
        printf '#!/bin/sh\nexit 101\n' > "$policy" && chmod 755 "$policy" && created=1
    fi
    local status=0
    { apt-get update -qq && apt-get install -y -qq --no-install-recommends "$PACKAGE"; } || status=$?
    [ -z "$created" ] || rm -f "$policy"
    [ "$status" = 0 ] || die "apt-get install $PACKAGE failed ($status)"
    command -v virtuoso-t >/dev/null || die "$PACKAGE is installed but virtuoso-t is not on PATH"
    echo "virtuoso: installed $(dpkg-query -W -f='${Version}' virtuoso-opensource-7-bin)"
}

# ---- an instance ------------------------------------------------------------------------------------------

instance() {  # instance DIR: sets DIR and the instance's settings
    [ -n "${1:-}" ] || die "give the instance folder (e.g. build/virtuoso)"
    mkdir -p "$1"
    DIR="$(cd "$1" && pwd)"
    if [ -f "$DIR/instance.env" ]; then
        # shellcheck disable=SC1091
        . "$DIR/instance.env"
    else
        HTTP_PORT=${VIRTUOSO_HTTP_PORT:-8890}
        ISQL_PORT=${VIRTUOSO_ISQL_PORT:-1111}
        MAX_ROWS=${VIRTUOSO_MAX_ROWS:-10000}
        MAX_SECONDS=${VIRTUOSO_MAX_SECONDS:-10}
        MAX_COST=${VIRTUOSO_MAX_COST:-0}
        BUFFERS=${VIRTUOSO_BUFFERS:-20000}
        printf 'HTTP_PORT=%s\nISQL_PORT=%s\nMAX_ROWS=%s\nMAX_SECONDS=%s\nMAX_COST=%s\nBUFFERS=%s\n' \
            "$HTTP_PORT" "$ISQL_PORT" "$MAX_ROWS" "$MAX_SECONDS" "$MAX_COST" "$BUFFERS" > "$DIR/instance.env"
    fi
}

pid_of() {  # the server's pid, from its lock file, when that process is alive
    local lock="$DIR/virtuoso.lck" pid
    [ -f "$lock" ] || return 1
    pid=$(sed -n 's/^VIRT_PID=//p' "$lock")
    [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && echo "$pid"
}

password() { cat "$DIR/dba-password"; }

isql() {  # isql SQL...: runs as dba; fails on an SQL error
    local out
    out=$(isql-vt "127.0.0.1:$ISQL_PORT" dba "$(password)" VERBOSE=OFF BANNER=OFF PROMPT=OFF ECHO=OFF \
          ERRORS=STDOUT "exec=$*" 2>&1) || { echo "$out" >&2; return 1; }
    if grep -q '\*\*\* Error' <<<"$out"; then echo "$out" >&2; return 1; fi
    [ -z "$out" ] || echo "$out"
}

deny_federation() {  # the public endpoint's account may not query other endpoints (SERVICE) nor fetch URLs
    # The endpoint runs as the SQL user SPARQL. SERVICE needs SELECT on DB.DBA.SPARQL_SINV_2 and EXECUTE on
    # DB.DBA.SPARQL_SINV_IMP, which come with the roles SPARQL_SPONGE (granted to SPARQL when the Sponger
    # cartridges are installed) and SPARQL_SELECT_FED (later versions); SPARQL_LOAD_SERVICE_DATA (part of
    # SPARQL_SELECT in 7.2) loads a remote endpoint's description; the SPARQL_REXEC procedures (granted to
    # SPARQL_SELECT) send a query to a remote endpoint. All revoked, on every start and load (idempotent: a grant
    # or role that does not exist in this version is skipped). The ini sends any outbound HTTP to a closed port.
    local statement grantee object
    for statement in '"SPARQL_SPONGE"' '"SPARQL_SELECT_FED"' '"SPARQL_LOAD_SERVICE_DATA"'; do
        for grantee in '"SPARQL"' '"SPARQL_SELECT"' '"SPARQL_UPDATE"'; do
            isql "REVOKE $statement FROM $grantee;" >/dev/null 2>&1 || true
        done
    done
    for grantee in '"SPARQL"' '"SPARQL_SELECT"' '"SPARQL_UPDATE"' 'public'; do
        isql "REVOKE SELECT ON DB.DBA.SPARQL_SINV_2 FROM $grantee;" >/dev/null 2>&1 || true
        for object in SPARQL_SINV_IMP SPARQL_REXEC SPARQL_REXEC_TO_ARRAY SPARQL_REXEC_WITH_META \
                      SPARUL_LOAD_SERVICE_DATA SPARQL_SD_PROBE RDF_SPONGE_UP RDF_GRAB; do
            isql "REVOKE EXECUTE ON DB.DBA.$object FROM $grantee;" >/dev/null 2>&1 || true
        done
    done
    # Web services of the default install that fetch a URL given by the client: an open proxy, URIQA.
    local path host listen
    for path in /proxy /URIQA /uriqa; do
        isql "SELECT HP_HOST, HP_LISTEN_HOST FROM DB.DBA.HTTP_PATH WHERE HP_LPATH = '$path';" \
            | while read -r host listen; do
                [ -n "$listen" ] || continue
                isql "DB.DBA.VHOST_REMOVE (vhost=>'$host', lhost=>'$listen', lpath=>'$path');" >/dev/null
            done
    done
    # Checked: none of it is left to the endpoint's account.
    local left
    left=$(isql "SELECT COUNT(*) FROM DB.DBA.SYS_GRANTS WHERE G_USER IN (SELECT U_ID FROM DB.DBA.SYS_USERS
                 WHERE U_NAME IN ('SPARQL', 'SPARQL_SELECT', 'nobody')) AND G_OBJECT IN ('DB.DBA.SPARQL_SINV_2',
                 'DB.DBA.SPARQL_SINV_IMP', 'DB.DBA.SPARQL_REXEC', 'DB.DBA.SPARQL_REXEC_TO_ARRAY',
                 'DB.DBA.SPARQL_REXEC_WITH_META');" | tr -d '[:space:]')
    [ "$left" = 0 ] || die "the SPARQL account still holds federation grants ($left)"
    isql "checkpoint;" >/dev/null
}

cmd_start() {
    instance "${1:-}"
    command -v virtuoso-t >/dev/null || die "virtuoso-t not found: run '$0 install' first"
    if pid_of >/dev/null; then
        deny_federation
        echo "virtuoso: running (pid $(pid_of), http 127.0.0.1:$HTTP_PORT, isql 127.0.0.1:$ISQL_PORT)"
        return 0
    fi
    mkdir -p "$DIR/import" "$DIR/vsp"
    sed -e "s|@DIR@|$DIR|g" -e "s|@HTTP_PORT@|$HTTP_PORT|g" -e "s|@ISQL_PORT@|$ISQL_PORT|g" \
        -e "s|@MAX_ROWS@|$MAX_ROWS|g" -e "s|@MAX_SECONDS@|$MAX_SECONDS|g" -e "s|@MAX_COST@|$MAX_COST|g" \
        -e "s|@BUFFERS@|$BUFFERS|g" -e "s|@DIRTY_BUFFERS@|$((BUFFERS * 3 / 4))|g" \
        "$HERE/virtuoso.ini.in" > "$DIR/virtuoso.ini"
    local fresh=""
    [ -f "$DIR/virtuoso.db" ] || fresh=1
    # +wait: the command returns once the server accepts connections (it runs on in the background).
    (cd "$DIR" && virtuoso-t +configfile "$DIR/virtuoso.ini" +wait) > "$DIR/start.log" 2>&1 \
        || { tail -20 "$DIR/virtuoso.log" >&2 2>/dev/null; die "virtuoso did not start (see $DIR/virtuoso.log)"; }
    if [ -n "$fresh" ] || [ ! -f "$DIR/dba-password" ]; then
        # A new database has the well-known dba/dba: replace it with a random password kept in DIR (0600).
        local new
        new="S$(head -c 18 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 20)"  # an SQL name: a letter first
        (umask 077 && printf '%s' "dba" > "$DIR/dba-password")
        isql "SET PASSWORD dba $new;" >/dev/null
        (umask 077 && printf '%s' "$new" > "$DIR/dba-password")
        rm -f "$DIR/secured"
    fi
    if [ ! -f "$DIR/secured" ]; then
        isql "UPDATE DB.DBA.SYS_USERS SET U_ACCOUNT_DISABLED = 1 WHERE U_NAME = 'dav';" >/dev/null
        # The public endpoint runs as the SQL user SPARQL: it may read, never write. Virtuoso 7.2 grants it
        # SPARQL_SELECT only; the revocation makes sure, and anonymous graph permissions are read-only.
        isql "REVOKE \"SPARQL_UPDATE\" FROM \"SPARQL\";" >/dev/null 2>&1 || true
        isql "DB.DBA.RDF_DEFAULT_USER_PERMS_SET ('nobody', 1);" >/dev/null
        isql "checkpoint;" >/dev/null
        touch "$DIR/secured"
    fi
    deny_federation
    echo "virtuoso: started (pid $(pid_of), http 127.0.0.1:$HTTP_PORT, isql 127.0.0.1:$ISQL_PORT)"
}

cmd_load() {
    instance "${1:-}"
    local file="${2:-}"
    [ -f "$file" ] || die "no such file: ${file:-(none given)}"
    pid_of >/dev/null || die "not running: run '$0 start $1' first"
    local digest
    digest=$(sha256sum "$file" | cut -d' ' -f1)
    if [ -f "$DIR/loaded.sha256" ] && [ "$(cat "$DIR/loaded.sha256")" = "$digest" ]; then
        echo "virtuoso: $file already loaded"
        return 0
    fi
    if [ -f "$DIR/loaded.sha256" ]; then  # another graph is loaded: start again from an empty database
        cmd_stop "$DIR" >/dev/null
        rm -f "$DIR"/virtuoso.db "$DIR"/virtuoso.trx "$DIR"/virtuoso-temp.* "$DIR"/virtuoso.pxa \
            "$DIR"/dba-password "$DIR"/loaded.sha256 "$DIR"/added.sha256 "$DIR"/import/*
        cmd_start "$DIR" >/dev/null
    fi
    # The bulk loader reads only the folders of DirsAllowed: the file goes into the instance's import/.
    rm -f "$DIR"/import/*
    ln "$file" "$DIR/import/sdsf.nq" 2>/dev/null || cp "$file" "$DIR/import/sdsf.nq"
    # N-Quads (.nq): each quad goes to its own named graph; the third argument is only for triples.
    isql "ld_dir ('$DIR/import', 'sdsf.nq', 'urn:x-sdsf:no-default-graph');" >/dev/null
    isql "rdf_loader_run ();" >/dev/null
    isql "checkpoint;" >/dev/null
    local errors
    errors=$(isql "SELECT ll_file, ll_error FROM DB.DBA.LOAD_LIST WHERE ll_error IS NOT NULL;")
    if grep -q 'sdsf.nq' <<<"$errors"; then echo "$errors" >&2; die "loading $file failed"; fi
    rm -f "$DIR/import/sdsf.nq"
    deny_federation
    echo "$digest" > "$DIR/loaded.sha256"
    echo "virtuoso: loaded $file"
}

cmd_add() {  # more quads (e.g. a test suite's graphs) next to the loaded graph; once per file content
    instance "${1:-}"
    local file="${2:-}"
    [ -f "$file" ] || die "no such file: ${file:-(none given)}"
    pid_of >/dev/null || die "not running: run '$0 start $1' first"
    local digest name errors
    digest=$(sha256sum "$file" | cut -d' ' -f1)
    if [ -f "$DIR/added.sha256" ] && grep -qx "$digest" "$DIR/added.sha256"; then
        echo "virtuoso: $file already added"
        return 0
    fi
    name="add-${digest:0:16}.nq"  # a name of its own: the loader skips a file name it has already listed
    rm -f "$DIR"/import/*
    ln "$file" "$DIR/import/$name" 2>/dev/null || cp "$file" "$DIR/import/$name"
    isql "ld_dir ('$DIR/import', '$name', 'urn:x-sdsf:no-default-graph');" >/dev/null
    isql "rdf_loader_run ();" >/dev/null
    isql "checkpoint;" >/dev/null
    errors=$(isql "SELECT ll_file, ll_error FROM DB.DBA.LOAD_LIST WHERE ll_error IS NOT NULL;")
    if grep -q "$name" <<<"$errors"; then echo "$errors" >&2; die "adding $file failed"; fi
    rm -f "$DIR/import/$name"
    echo "$digest" >> "$DIR/added.sha256"
    echo "virtuoso: added $file"
}

cmd_stop() {
    instance "${1:-}"
    local pid
    if ! pid=$(pid_of); then
        echo "virtuoso: not running"
        return 0
    fi
    isql "shutdown;" >/dev/null 2>&1 || kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do
        kill -0 "$pid" 2>/dev/null || { echo "virtuoso: stopped"; return 0; }
        sleep 0.1
    done
    kill -9 "$pid" 2>/dev/null || true
    echo "virtuoso: killed (pid $pid)"
}

cmd_status() {
    instance "${1:-}"
    if pid_of >/dev/null; then
        echo "running pid=$(pid_of) http=$HTTP_PORT isql=$ISQL_PORT"
    else
        echo "stopped"
        return 1
    fi
}

cmd_isql() {
    instance "${1:-}"
    shift
    isql "$@"
}

case "${1:-}" in
    install) cmd_install ;;
    start) shift; cmd_start "$@" ;;
    load) shift; cmd_load "$@" ;;
    add) shift; cmd_add "$@" ;;
    stop) shift; cmd_stop "$@" ;;
    status) shift; cmd_status "$@" ;;
    isql) shift; cmd_isql "$@" ;;
    *) sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
