// A server that closes the connection in the middle of the SSH handshake (after its version line,
// before authentication: what sshd does on MaxStartups, or a host going down as a reconnect reaches
// it). ssh2 then emits 'close' without an 'error': the connect must fail, typed, not wait forever.
import { createServer, type Server, type Socket } from 'node:net';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openSsh2 } from '../../src/remote/ssh2-transport.js';
import { scratch } from '../helpers.js';

const dir = scratch('batchplan-ssh-handshake-');

/** A TCP server that says `greeting` and closes once the client has sent `after` bytes. */
function server(greeting: string, after: number): Promise<{ port: number; server: Server }> {
  return new Promise((resolve) => {
    const s = createServer((sock: Socket) => {
      let got = 0;
      sock.on('error', () => {});
      sock.write(greeting);
      sock.on('data', (b) => {
        got += b.length;
        if (got >= after) sock.destroy();
      });
    });
    s.listen(0, '127.0.0.1', () => resolve({ port: (s.address() as { port: number }).port, server: s }));
  });
}

describe('a connection closed during the handshake', () => {
  const servers: Server[] = [];
  afterAll(() => servers.forEach((s) => s.close()));

  it.each([
    ['after the version lines', 1],
    ['during key exchange (after the client’s KEXINIT)', 200],
  ])('%s: E_SSH_CONNECT at once', async (_what, after) => {
    const { port, server: s } = await server('SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n', after);
    servers.push(s);
    const config = join(dir, `ssh_config.${port}`);
    writeFileSync(config, `Host hclose\n  HostName 127.0.0.1\n  Port ${port}\n  User root\n`);
    process.env.BATCHPLAN_SSH_CONFIG = config;
    const started = Date.now();
    try {
      const outcome = await Promise.race([
        openSsh2({ host: 'hclose' }, { note: () => {} }).then(
          (t) => (void t.close(), 'connected'),
          (err: { code?: string; message?: string }) => `${err.code}: ${err.message}`,
        ),
        new Promise<string>((r) => setTimeout(() => r('still waiting after 10 s'), 10_000)),
      ]);
      expect(outcome).toMatch(/^E_SSH_CONNECT: cannot reach root@hclose:\d+: .*closed/);
      expect(Date.now() - started).toBeLessThan(10_000);
    } finally {
      delete process.env.BATCHPLAN_SSH_CONFIG;
    }
  });
});
