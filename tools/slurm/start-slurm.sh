#!/usr/bin/env bash
# Start a single-node Slurm on this machine (slurmctld + slurmd on localhost, munge auth) for
# gnlab's Slurm tests. Idempotent: run it again and it only starts what is not running.
# Needs root (it installs Debian packages and writes /etc/slurm). Bounded: it gives up after
# SLURM_START_TIMEOUT seconds (default 90) of waiting for the node, printing why.
#
#   sudo tools/slurm/start-slurm.sh          # then: sinfo, sbatch, squeue, scancel
#
# See tools/slurm/README.md.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
timeout_s="${SLURM_START_TIMEOUT:-90}"
log() { echo "start-slurm: $*" >&2; }
die() {
  log "FAILED: $*"
  for f in /var/log/slurm/slurmctld.log /var/log/slurm/slurmd.log /var/log/munge/munged.log; do
    [ -f "$f" ] && { echo "--- last lines of $f" >&2; tail -n 15 "$f" >&2; }
  done
  exit 1
}

[ "$(id -u)" = 0 ] || die "must run as root (it installs packages and starts slurmctld/slurmd)"

# 1. packages
if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null || ! command -v munged >/dev/null; then
  log "installing slurm-wlm and munge with apt-get"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null || die "apt-get update failed"
  apt-get install -y -qq --no-install-recommends slurm-wlm munge >/dev/null || die "apt-get install slurm-wlm munge failed"
fi

# 2. slurm.conf from the template: this host's short name, CPU count and memory
host="$(uname -n)"
host="${host%%.*}" # the short name, as slurmd finds itself
cpus="$(nproc)"
mem_mb="$(awk '/^MemTotal:/ { printf "%d", $2 / 1024 * 0.9 }' /proc/meminfo)"
mkdir -p /etc/slurm /var/spool/slurmctld /var/spool/slurmd /var/log/slurm
conf="$(sed -e "s/@HOSTNAME@/$host/g" -e "s/@CPUS@/$cpus/g" -e "s/@REAL_MEMORY@/$mem_mb/g" "$here/slurm.conf.template")"
changed=0
if [ ! -f /etc/slurm/slurm.conf ] || [ "$(cat /etc/slurm/slurm.conf)" != "$conf" ]; then
  printf '%s\n' "$conf" >/etc/slurm/slurm.conf
  changed=1
  log "wrote /etc/slurm/slurm.conf (node $host, $cpus CPUs, ${mem_mb} MB)"
fi

# 3. munge: a key, then the daemon (as the munge user, who owns the key)
if [ ! -s /etc/munge/munge.key ]; then
  log "creating /etc/munge/munge.key"
  mkdir -p /etc/munge
  dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 status=none
fi
chown munge:munge /etc/munge /etc/munge/munge.key
chmod 700 /etc/munge
chmod 400 /etc/munge/munge.key
mkdir -p /run/munge /var/lib/munge /var/log/munge
chown munge:munge /run/munge /var/lib/munge /var/log/munge
chmod 755 /run/munge
if ! munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
  log "starting munged"
  runuser -u munge -- munged --force || die "munged did not start"
  for _ in $(seq 1 50); do munge -n 2>/dev/null | unmunge >/dev/null 2>&1 && break; sleep 0.1; done
  munge -n | unmunge >/dev/null || die "munge credentials do not round-trip (munge -n | unmunge)"
fi

# 4. the daemons: (re)start the ones that are not running, or all of them if slurm.conf changed
running() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }
stop() {
  if running "$1"; then
    local pid
    pid="$(cat "$1")"
    kill "$pid"
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  fi
}
if [ "$changed" = 1 ]; then
  stop /run/slurmd.pid
  stop /run/slurmctld.pid
fi
if ! running /run/slurmctld.pid; then
  log "starting slurmctld"
  slurmctld || die "slurmctld did not start"
fi
if ! running /run/slurmd.pid; then
  log "starting slurmd"
  slurmd || die "slurmd did not start"
fi

# 5. wait (bounded) until sinfo shows the node up; a node left down by an earlier run is resumed
deadline=$((SECONDS + timeout_s))
state=""
while [ "$SECONDS" -lt "$deadline" ]; do
  state="$(sinfo -h -n "$host" -o %T 2>/dev/null | head -n 1 || true)"
  case "$state" in
    idle | mixed | allocated | completing)
      log "ready: node $host is $state ($(sinfo -V))"
      exit 0
      ;;
    down* | drain* | drained*) scontrol update nodename="$host" state=resume 2>/dev/null || true ;;
  esac
  sleep 1
done
die "node $host not idle after ${timeout_s}s (sinfo says: '${state:-no answer}')"
