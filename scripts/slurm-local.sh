#!/usr/bin/env bash
# A one-node Slurm cluster on this machine, for tests and for trying `drat grid --slurm`.
#
#   scripts/slurm-local.sh start    # installs slurm-wlm and munge if missing (Debian, as root),
#                                   # writes slurm.conf, starts munged, slurmctld and slurmd;
#                                   # prints the line to eval: export SLURM_CONF=…
#   scripts/slurm-local.sh stop     # stops the three daemons by pid
#
# Everything lives under $SLURM_LOCAL_DIR (default /tmp/drat-slurm): slurm.conf, spool and state
# directories, logs, pid files. The node's CPUs and memory come from `slurmd -C`; processes are
# tracked with proctrack/linuxproc and no cgroup plugin is needed (containers, VMs).
set -euo pipefail
dir=${SLURM_LOCAL_DIR:-/tmp/drat-slurm}
conf=$dir/slurm.conf

stop() {
  for p in "$dir/run/slurmd.pid" "$dir/run/slurmctld.pid" "$dir/run/munged.pid"; do
    if [ -f "$p" ]; then
      kill "$(cat "$p")" 2>/dev/null || true
      rm -f "$p"
    fi
  done
}

start() {
  if [ "$(id -u)" != 0 ]; then
    echo "slurm-local.sh: needs root (it runs slurmctld and slurmd as root)" >&2
    exit 1
  fi
  if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null || ! command -v munged >/dev/null; then
    echo "slurm-local.sh: installing slurm-wlm and munge (Debian packages)" >&2
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq slurm-wlm munge >/dev/null
  fi
  stop
  mkdir -p "$dir"/{spool,state,log,run}
  rm -rf "$dir"/state/* "$dir"/spool/*

  # munge: a key, its run directory, the daemon (as the munge user, as packaged).
  if [ ! -s /etc/munge/munge.key ]; then
    if command -v mungekey >/dev/null; then mungekey --create --force; else create-munge-key -f; fi
  fi
  chown munge:munge /etc/munge/munge.key && chmod 400 /etc/munge/munge.key
  mkdir -p /run/munge /var/log/munge /var/lib/munge
  chown munge:munge /run/munge /var/log/munge /var/lib/munge
  runuser -u munge -- munged --pid-file="$dir/run/munged.pid.tmp" --force
  # (munged writes its pid file as the munge user; keep a root-owned copy for `stop`.)
  for _ in $(seq 50); do [ -s "$dir/run/munged.pid.tmp" ] && break; sleep 0.1; done
  cp "$dir/run/munged.pid.tmp" "$dir/run/munged.pid" 2>/dev/null || pgrep -x munged | head -1 > "$dir/run/munged.pid"

  host=$(hostname -s)
  node=$(slurmd -C | head -n 1 | sed "s/^NodeName=[^ ]*/NodeName=$host NodeAddr=127.0.0.1/")
  cat > "$conf" <<EOF
ClusterName=drat-local
SlurmctldHost=$host(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
MpiDefault=none
ReturnToService=2
SchedulerType=sched/backfill
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/run/slurmctld.pid
SlurmdPidFile=$dir/run/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
$node State=UNKNOWN
PartitionName=local Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF
  export SLURM_CONF=$conf
  slurmctld -f "$conf"
  slurmd -f "$conf"
  for _ in $(seq 120); do
    state=$(sinfo -h -o %T 2>/dev/null | head -n 1 || true)
    case "$state" in
      idle*|mixed*|alloc*) echo "export SLURM_CONF=$conf"; return 0 ;;
    esac
    sleep 0.5
  done
  echo "slurm-local.sh: the node did not come up; logs in $dir/log" >&2
  tail -n 20 "$dir"/log/*.log >&2 || true
  exit 1
}

case "${1:-start}" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: scripts/slurm-local.sh start|stop" >&2; exit 2 ;;
esac
