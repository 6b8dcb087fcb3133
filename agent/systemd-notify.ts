// sd_notify without a native addon: Node has no AF_UNIX datagram sockets, so the agent asks
// systemd's own `systemd-notify` (the unit sets NotifyAccess=all) to speak for it. Outside
// systemd (no NOTIFY_SOCKET) every call is a no-op.

import { execFile } from 'node:child_process';
import type { Logger } from 'pino';

export interface Notifier {
  ready(): void;
  stopping(): void;
  /** Starts the watchdog pings at half the interval systemd asks for; returns a stop function. */
  startWatchdog(): () => void;
}

export function systemdNotifier(env: NodeJS.ProcessEnv, logger: Logger): Notifier {
  const log = logger.child({ module: 'systemd' });
  const socket = env.NOTIFY_SOCKET;
  const send = (...assignments: string[]) => {
    if (!socket) return;
    execFile('systemd-notify', assignments, (err) => {
      if (err) log.warn({ err }, 'systemd-notify failed');
    });
  };
  return {
    ready: () => send('--ready', `--pid=${process.pid}`),
    stopping: () => send('STOPPING=1'),
    startWatchdog: () => {
      const usec = Number(env.WATCHDOG_USEC);
      if (!socket || !Number.isFinite(usec) || usec <= 0) return () => undefined;
      const timer = setInterval(() => send('WATCHDOG=1'), Math.max(1000, usec / 1000 / 2));
      timer.unref();
      return () => clearInterval(timer);
    },
  };
}
