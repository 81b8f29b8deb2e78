#!/usr/bin/env bash
# Start a private OpenSSH server for the test suite and CI (test/ssh/), without systemd and without
# touching /etc/ssh or ~/.ssh. Several "hosts": it listens on every address of BATCHPLAN_SSHD_ADDRS
# (loopback aliases: 127.0.0.0/8 all reach this machine) and every port of BATCHPLAN_SSHD_PORTS.
#
#   $DIR/ssh_host_{ed25519,rsa}_key   host keys          $DIR/id_{ed25519,rsa}     client keys (no passphrase)
#   $DIR/authorized_keys              both client keys   $DIR/known_hosts          every address:port, fresh
#   $DIR/sshd_config, sshd.pid, sshd.log
#
# Logins: root and BATCHPLAN_SSH_USER (created if missing), by key only. Idempotent: when it already
# runs with the same config it only checks a login. Stop with scripts/sshd/down.sh [--purge].
#
# For keyboard-interactive (test/ssh/kbd-interactive.test.ts starts its own sshd, not this one):
#   $DIR/batchplan-sshd-kbd   a link to sshd: OpenSSH names its PAM service after the program, so
#                             an sshd started by this name uses /etc/pam.d/batchplan-sshd-kbd, which
#                             asks one password and checks it with $DIR/kbd-check
#   $DIR/kbd_password         that password (random, made once, root only), for the user
#                             BATCHPLAN_SSH_KBD_USER alone; not a system password: the user's own
#                             stays locked, so no other sshd or login of this machine accepts it
#
# Environment knobs:
#   BATCHPLAN_SSHD_DIR    where everything lives (default: $TMPDIR or /tmp, then batchplan-sshd)
#   BATCHPLAN_SSHD_PORTS  ports, space-separated (default "2222 2223")
#   BATCHPLAN_SSHD_ADDRS  addresses, space-separated (default "127.0.0.1 127.0.0.2 127.0.0.3")
#   BATCHPLAN_SSH_USER    the unprivileged test user (default batchplan-ssh)
#   BATCHPLAN_SSH_KBD_USER  the keyboard-interactive test user (default batchplan-kbd)
set -euo pipefail
DIR=${BATCHPLAN_SSHD_DIR:-${TMPDIR:-/tmp}/batchplan-sshd}
PORTS=${BATCHPLAN_SSHD_PORTS:-2222 2223}
ADDRS=${BATCHPLAN_SSHD_ADDRS:-127.0.0.1 127.0.0.2 127.0.0.3}
TUSER=${BATCHPLAN_SSH_USER:-batchplan-ssh}
KUSER=${BATCHPLAN_SSH_KBD_USER:-batchplan-kbd}
[ "$(id -u)" -eq 0 ] || { echo "up.sh: run as root (sshd, /run/sshd and the test user need it)" >&2; exit 2; }
[ -x /usr/sbin/sshd ] && command -v ssh >/dev/null || bash "$(dirname "$0")/../install-engines.sh" >/dev/null

mkdir -p "$DIR" /run/sshd
chmod 755 "$DIR" /run/sshd # /run/sshd: the privilege-separation directory systemd would make
for t in ed25519 rsa; do
  [ -f "$DIR/ssh_host_${t}_key" ] || ssh-keygen -q -t "$t" -N '' -f "$DIR/ssh_host_${t}_key"
  [ -f "$DIR/id_${t}" ] || ssh-keygen -q -t "$t" -N '' -C "batchplan-test-$t" -f "$DIR/id_${t}"
done
cat "$DIR/id_ed25519.pub" "$DIR/id_rsa.pub" >"$DIR/authorized_keys"
chmod 644 "$DIR/authorized_keys" "$DIR"/*.pub
chmod 600 "$DIR"/id_ed25519 "$DIR"/id_rsa "$DIR"/ssh_host_*_key

# useradd leaves the password '!' (locked), and with UsePAM no sshd then refuses even key logins.
id "$TUSER" >/dev/null 2>&1 || useradd -m -s /bin/bash "$TUSER"
usermod -p '*' "$TUSER"

# Keyboard-interactive through PAM (see the top). Every file is written whole each run: safe to re-run.
id "$KUSER" >/dev/null 2>&1 || useradd -m -s /bin/bash "$KUSER"
usermod -p '*' "$KUSER"
if [ ! -s "$DIR/kbd_password" ]; then
  # A space, quotes and a $ in it: the answer must reach PAM byte for byte.
  (umask 077 && printf "otp \$'\"%s" "$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')" >"$DIR/kbd_password")
fi
chmod 600 "$DIR/kbd_password"
cat >"$DIR/kbd-check.tmp" <<CHECK
#!/bin/sh
# pam_exec expose_authtok: the answer on stdin, ended by a NUL. Only $KUSER, only that password.
[ "\$PAM_USER" = '$KUSER' ] || exit 1
IFS= read -r answer || true
answer=\$(printf '%s' "\$answer" | tr -d '\\000')
[ "\$answer" = "\$(cat '$DIR/kbd_password')" ]
CHECK
chmod 755 "$DIR/kbd-check.tmp"
mv -f "$DIR/kbd-check.tmp" "$DIR/kbd-check"
ln -sfn /usr/sbin/sshd "$DIR/batchplan-sshd-kbd"
cat >/etc/pam.d/batchplan-sshd-kbd.tmp <<PAM
# batchplan's test sshd for keyboard-interactive (scripts/sshd/up.sh writes this file)
auth     required pam_exec.so expose_authtok quiet $DIR/kbd-check
auth     required pam_permit.so
account  required pam_permit.so
session  required pam_permit.so
password required pam_deny.so
PAM
mv -f /etc/pam.d/batchplan-sshd-kbd.tmp /etc/pam.d/batchplan-sshd-kbd

config=$(
  for p in $PORTS; do echo "Port $p"; done
  for a in $ADDRS; do echo "ListenAddress $a"; done
  cat <<CONF
HostKey $DIR/ssh_host_ed25519_key
HostKey $DIR/ssh_host_rsa_key
PidFile $DIR/sshd.pid
AuthorizedKeysFile $DIR/authorized_keys
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
# The keys sit under a world-writable temp directory: StrictModes would reject them.
StrictModes no
PrintMotd no
Subsystem sftp internal-sftp
LogLevel VERBOSE
# Tests open many connections at once (several vitest files, ssh2 and the system ssh).
MaxStartups 200:30:400
MaxSessions 100
CONF
)

running() { [ -f "$DIR/sshd.pid" ] && kill -0 "$(cat "$DIR/sshd.pid")" 2>/dev/null; }
if running && [ "$config" = "$(cat "$DIR/sshd_config" 2>/dev/null)" ]; then
  state="already running"
else
  running && bash "$(dirname "$0")/down.sh" >/dev/null
  printf '%s\n' "$config" >"$DIR/sshd_config"
  /usr/sbin/sshd -t -f "$DIR/sshd_config"
  # Absolute path: sshd re-executes itself. Without -D it daemonizes and writes its PidFile.
  /usr/sbin/sshd -f "$DIR/sshd_config" -E "$DIR/sshd.log"
  state="started"
fi

# A fresh known_hosts naming every address:port (OpenSSH writes [addr]:port for ports other than 22).
: >"$DIR/known_hosts.tmp"
for a in $ADDRS; do
  for p in $PORTS; do
    for t in ed25519 rsa; do
      echo "[$a]:$p $(cut -d' ' -f1,2 "$DIR/ssh_host_${t}_key.pub")" >>"$DIR/known_hosts.tmp"
    done
  done
done
mv "$DIR/known_hosts.tmp" "$DIR/known_hosts"

first_port=${PORTS%% *}
first_addr=${ADDRS%% *}
for i in $(seq 1 50); do
  if ssh -p "$first_port" -i "$DIR/id_ed25519" -o BatchMode=yes -o IdentitiesOnly=yes \
    -o UserKnownHostsFile="$DIR/known_hosts" -o StrictHostKeyChecking=yes -o LogLevel=ERROR \
    -o ConnectTimeout=5 "$TUSER@$first_addr" true 2>/dev/null; then
    echo "sshd $state: pid $(cat "$DIR/sshd.pid"), $ADDRS, ports $PORTS, users root and $TUSER (keyboard-interactive: $KUSER), keys and known_hosts in $DIR (ready after ${i}x0.1s)"
    exit 0
  fi
  sleep 0.1
done
echo "sshd did not accept a login; its log:" >&2
tail -20 "$DIR/sshd.log" >&2
exit 1
