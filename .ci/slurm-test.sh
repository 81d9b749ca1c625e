#!/usr/bin/env bash
# The Slurm array test: starts a single-node Slurm cluster from Debian's packages (munge,
# slurmctld, slurmd; as root, without systemd, see shared notes), runs a small tuned study as the
# tuning job, array job of 3 shards and dependent merge job that `trainbench emit slurm` writes, and checks
# that the merged tables equal the same study run on one machine. Every daemon it started is
# stopped by PID on exit, even on failure.
#
# Usage: .ci/slurm-test.sh [path/to/trainbench]   (default target/release/trainbench)
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=$(realpath "${1:-target/release/trainbench}")
STUDY_FLAGS=(optimizers --quick --epochs 1 --seeds 2)
SHARDS=3

if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends -o DPkg::Lock::Timeout=300 \
    slurmctld slurmd slurm-client munge >/dev/null
fi

WORK=$(mktemp -d /tmp/trainbench-slurm.XXXXXX)
PIDFILES=("$WORK/slurmd.pid" "$WORK/slurmctld.pid" /run/munge/munged.pid)
started_munge=0
cleanup() {
  status=$?
  for f in "${PIDFILES[@]}"; do
    [ "$f" = /run/munge/munged.pid ] && [ "$started_munge" = 0 ] && continue
    if [ -f "$f" ]; then
      pid=$(cat "$f")
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -9 "$pid" 2>/dev/null || true
    fi
  done
  if [ "$status" != 0 ]; then
    echo "slurm test FAILED; logs:" >&2
    tail -n 30 "$WORK"/*.log "$WORK"/sharded/optimizers/slurm/*.out 2>/dev/null >&2 || true
  fi
  exit "$status"
}
trap cleanup EXIT

# munge: munged refuses to run as root.
if ! pgrep -x munged >/dev/null; then
  mkdir -p /run/munge && chown munge:munge /run/munge
  [ -f /etc/munge/munge.key ] || (mungekey --create 2>/dev/null || create-munge-key -f)
  runuser -u munge -- /usr/sbin/munged
  started_munge=1
fi

host=$(hostname -s)
node=$(slurmd -C | head -n 1 | sed "s/^NodeName=[^ ]*/NodeName=$host NodeAddr=127.0.0.1/")
mkdir -p "$WORK/state" "$WORK/spool"
cat > "$WORK/slurm.conf" <<CONF
ClusterName=trainbench
SlurmctldHost=$host(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
MailProg=/bin/true
SchedulerParameters=batch_sched_delay=0
MinJobAge=300
StateSaveLocation=$WORK/state
SlurmdSpoolDir=$WORK/spool
SlurmctldPidFile=$WORK/slurmctld.pid
SlurmdPidFile=$WORK/slurmd.pid
SlurmctldLogFile=$WORK/slurmctld.log
SlurmdLogFile=$WORK/slurmd.log
$node
PartitionName=main Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF="$WORK/slurm.conf"
slurmctld -i
slurmd
for _ in $(seq 60); do
  state=$(timeout 10 sinfo -h -o %T 2>/dev/null || true)
  [ "$state" = idle ] && break
  sleep 1
done
[ "$state" = idle ] || { echo "slurm node not idle: '$state'" >&2; exit 1; }
echo "slurm up on $host"

# The reference: the same study on this machine.
"$BIN" study "${STUDY_FLAGS[@]}" --no-progress --results "$WORK/single" >/dev/null

# The cluster: the script `emit slurm` writes, submitted as a user would.
"$BIN" emit slurm "${STUDY_FLAGS[@]}" --shards "$SHARDS" --results "$WORK/sharded" > "$WORK/submit.sh"
submitted=$(bash "$WORK/submit.sh")
echo "$submitted"
merge_job=$(sed -n 's/.*merge job \([0-9]*\).*/\1/p' <<<"$submitted")
[ -n "$merge_job" ] || { echo "no merge job id in: $submitted" >&2; exit 1; }
for _ in $(seq 900); do
  [ -z "$(timeout 10 squeue -h -j "$merge_job" 2>/dev/null || true)" ] && break
  sleep 1
done
[ -z "$(timeout 10 squeue -h 2>/dev/null || true)" ] || { echo "jobs still queued" >&2; exit 1; }
grep -q "merge optimizers: .* 0 duplicates dropped; 18 of 18 runs recorded" \
  "$WORK/sharded/optimizers/slurm/merge.out" \
  || { echo "merge did not record every run" >&2; cat "$WORK/sharded/optimizers/slurm/merge.out" >&2; exit 1; }
ls "$WORK/sharded/optimizers/slurm/"shard-{0,1,2}.out >/dev/null
"$BIN" compare "$WORK/single/optimizers" "$WORK/sharded/optimizers"
echo "slurm test passed: $SHARDS-shard array job + merge == single machine"
