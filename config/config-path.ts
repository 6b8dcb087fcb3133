// Where the agent's commands find the config file: `--config PATH` (or `--config=PATH`),
// else $HCALCS_CONFIG, else /etc/hcalcs-agent/config.yaml (where systemd/install.sh puts it).

export const DEFAULT_CONFIG_PATH = '/etc/hcalcs-agent/config.yaml';
export const CONFIG_ENV = 'HCALCS_CONFIG';

export type ConfigPathResult = { ok: true; path: string; rest: string[] } | { ok: false; error: string };

/** Takes `--config` out of argv; `rest` is what is left for the command. */
export function configPathFrom(argv: readonly string[], env: Readonly<Record<string, string | undefined>>): ConfigPathResult {
  const rest: string[] = [];
  let path: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] ?? '';
    if (a === '--config' || a === '-c') {
      const next = argv[i + 1];
      if (next === undefined || next === '') return { ok: false, error: `${a} needs a file path` };
      path = next;
      i++;
    } else if (a.startsWith('--config=')) {
      path = a.slice('--config='.length);
      if (path === '') return { ok: false, error: '--config= needs a file path' };
    } else {
      rest.push(a);
    }
  }
  const fromEnv = env[CONFIG_ENV];
  return { ok: true, path: path ?? (fromEnv !== undefined && fromEnv !== '' ? fromEnv : DEFAULT_CONFIG_PATH), rest };
}
