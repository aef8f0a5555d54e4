#!/usr/bin/env bash
# A one-node SLURM cluster on 127.0.0.1 for `make test-slurm` (no systemd: daemons started
# directly, as root). Usage: cluster.sh start|stop|status STATE_DIR
# After `start`, export SLURM_CONF=STATE_DIR/slurm.conf for sbatch/squeue to find it.
set -euo pipefail
action=${1:?usage: cluster.sh start|stop|status STATE_DIR}
state=$(realpath -m "${2:?usage: cluster.sh start|stop|status STATE_DIR}")
conf=$state/slurm.conf

die() { echo "test-slurm: $*" >&2; exit 1; }

install_packages() {
    local missing=()
    for bin in munged slurmctld slurmd sbatch squeue; do
        command -v "$bin" >/dev/null || missing+=("$bin")
    done
    ((${#missing[@]} == 0)) && return 0
    [[ $(id -u) == 0 ]] || die "missing ${missing[*]} and not root: install the Debian packages munge slurmctld slurmd slurm-client"
    command -v apt-get >/dev/null || die "missing ${missing[*]} and no apt-get: install munge and Slurm (slurmctld, slurmd, client) by hand"
    echo "test-slurm: installing munge and Slurm from Debian's packages"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q >/dev/null || die "apt-get update failed"
    apt-get install -y -q munge slurmctld slurmd slurm-client >/dev/null \
        || die "apt-get install munge slurmctld slurmd slurm-client failed"
}

start_munge() {
    pgrep -x munged >/dev/null && return 0
    mkdir -p /run/munge /var/log/munge /var/lib/munge /etc/munge
    [[ -s /etc/munge/munge.key ]] || dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 status=none
    chown -R munge:munge /run/munge /var/log/munge /var/lib/munge /etc/munge 2>/dev/null || true
    chmod 0400 /etc/munge/munge.key
    if id munge >/dev/null 2>&1; then
        runuser -u munge -- munged || munged --force
    else
        munged --force
    fi
    munge -n | unmunge >/dev/null || die "munge does not work (munged started but credentials fail)"
}

write_conf() {
    local host node_line
    host=$(hostname -s)
    node_line=$(slurmd -C | head -n 1 | sed 's/ UpTime=.*//')
    mkdir -p "$state/ctld" "$state/spool"
    cat > "$conf" <<CONF
ClusterName=tfmxne-ci
SlurmctldHost=${host}(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
StateSaveLocation=$state/ctld
SlurmdSpoolDir=$state/spool
SlurmctldPidFile=$state/slurmctld.pid
SlurmdPidFile=$state/slurmd.pid
SlurmctldLogFile=$state/slurmctld.log
SlurmdLogFile=$state/slurmd.log
SlurmctldPort=6817
SlurmdPort=6818
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
SchedulerType=sched/backfill
ReturnToService=2
MinJobAge=600
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
MpiDefault=none
${node_line} NodeAddr=127.0.0.1 State=UNKNOWN
PartitionName=debug Nodes=${host} Default=YES MaxTime=INFINITE State=UP
CONF
}

# srun inside a batch job looks for /etc/slurm/slurm.conf whatever SLURM_CONF says: point it at
# ours, unless a real cluster's configuration is there.
link_default_conf() {
    local default=/etc/slurm/slurm.conf
    if [[ -e $default && ! -L $default ]]; then
        die "$default exists and is not ours: refusing to replace a real cluster's configuration"
    fi
    mkdir -p /etc/slurm
    ln -sfn "$conf" "$default"
}

start() {
    [[ $(id -u) == 0 ]] || die "start needs root (daemons run as root here)"
    install_packages
    start_munge
    write_conf
    link_default_conf
    export SLURM_CONF=$conf
    slurmctld -f "$conf" || die "slurmctld did not start; see $state/slurmctld.log"
    slurmd -f "$conf" -N "$(hostname -s)" || die "slurmd did not start; see $state/slurmd.log"
    for _ in $(seq 1 30); do
        if sinfo -h -o %T 2>/dev/null | grep -qE '^(idle|mixed|allocated)'; then
            echo "test-slurm: cluster up ($(sinfo -h -o '%P %D %T %c CPUs %m MB'))"
            return 0
        fi
        sleep 1
    done
    die "the node did not become idle in 30 s: $(sinfo 2>&1 | tail -n 2); logs in $state"
}

stop() {
    for pidfile in "$state/slurmd.pid" "$state/slurmctld.pid"; do
        [[ -s $pidfile ]] && kill "$(cat "$pidfile")" 2>/dev/null || true
    done
    echo "test-slurm: daemons stopped"
}

case $action in
    start) start ;;
    stop) stop ;;
    status) SLURM_CONF=$conf sinfo ;;
    *) die "unknown action $action (start|stop|status)" ;;
esac
