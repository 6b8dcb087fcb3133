// Where profiles come from: the ones shipped in the package, then a site directory
// (/etc/hcalcs-agent/profiles, for a maker's gateway image), then the config's profilesDir.
// A later directory overrides an earlier one file by file, with a notice. A file that does
// not validate is kept as "broken" under its name: the chargers that use it are disabled and
// named, the rest run. Nothing here throws for a bad file.

import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { ChargerOptions } from './options.js';
import { PROFILES_DIR, ProfileError, readProfileFile, resolveProfile, type Profile } from './profile.js';

export const SITE_PROFILES_DIR = '/etc/hcalcs-agent/profiles';

export type ProfileOrigin = 'shipped' | 'site' | 'config';

export interface ProfileDir {
  dir: string;
  origin: ProfileOrigin;
}

export interface CatalogueEntry {
  profile: Profile;
  file: string;
  origin: ProfileOrigin;
  /** The file this one replaced, when a site or config profile overrides another. */
  overrides?: string;
}

export interface BrokenProfile {
  id: string;
  file: string;
  origin: ProfileOrigin;
  /** `file: path: message`, one problem each. */
  errors: string[];
}

export interface ProfileCatalogue {
  profiles: Map<string, CatalogueEntry>;
  broken: Map<string, BrokenProfile>;
  /** Overrides and directories that could not be read. */
  notices: string[];
  searched: Array<ProfileDir & { found: boolean }>;
}

/**
 * The directories searched, in order. `profilesDir` (from the config) is resolved against
 * `cwd`; `siteDir` is a parameter so tests do not depend on the machine's /etc.
 */
export function profileSearchPath(profilesDir?: string, opts: { siteDir?: string; cwd?: string; shippedDir?: string } = {}): ProfileDir[] {
  const dirs: ProfileDir[] = [
    { dir: opts.shippedDir ?? PROFILES_DIR, origin: 'shipped' },
    { dir: opts.siteDir ?? SITE_PROFILES_DIR, origin: 'site' },
  ];
  if (profilesDir !== undefined) dirs.push({ dir: resolve(opts.cwd ?? process.cwd(), profilesDir), origin: 'config' });
  return dirs;
}

export function loadCatalogue(dirs: readonly ProfileDir[]): ProfileCatalogue {
  const cat: ProfileCatalogue = { profiles: new Map(), broken: new Map(), notices: [], searched: [] };
  for (const { dir, origin } of dirs) {
    let files: string[];
    try {
      if (!existsSync(dir) || !statSync(dir).isDirectory()) {
        cat.searched.push({ dir, origin, found: false });
        if (origin === 'config') cat.notices.push(`profilesDir ${dir}: no such directory`);
        continue;
      }
      files = readdirSync(dir)
        .filter((f) => f.endsWith('.json'))
        .sort();
    } catch (err) {
      cat.searched.push({ dir, origin, found: false });
      cat.notices.push(`${dir}: cannot be read: ${(err as Error).message}`);
      continue;
    }
    cat.searched.push({ dir, origin, found: true });
    for (const name of files) {
      const file = join(dir, name);
      const id = name.slice(0, -'.json'.length);
      const earlier = cat.profiles.get(id)?.file ?? cat.broken.get(id)?.file;
      if (earlier !== undefined) cat.notices.push(`profile ${id}: ${file} overrides ${earlier}`);
      try {
        const profile = readProfileFile(file);
        cat.broken.delete(id);
        cat.profiles.set(id, { profile, file, origin, ...(earlier !== undefined ? { overrides: earlier } : {}) });
      } catch (err) {
        // A broken override does not fall back to the file it meant to replace: the maker
        // meant that charger to run with the new file, not the old one.
        const errors = err instanceof ProfileError ? err.errors : [(err as Error).message];
        cat.profiles.delete(id);
        cat.broken.set(id, { id, file, origin, errors: errors.map((e) => `${file}: ${e.replace(/^\(file\): /u, '')}`) });
      }
    }
  }
  return cat;
}

/** The valid profiles by id, as resolveProfile takes them. */
export function profileMap(cat: ProfileCatalogue): Map<string, Profile> {
  return new Map([...cat.profiles].map(([id, e]) => [id, e.profile]));
}

export type Resolution = { ok: true; profile: Profile } | { ok: false; problems: string[] };

/** A charger's merged profile, or every problem with it as `path: message` lines. */
export function resolveFromCatalogue(charger: ChargerOptions, cat: ProfileCatalogue, at: string): Resolution {
  const broken = cat.broken.get(charger.profile);
  if (broken && charger.profile !== 'generic') {
    return {
      ok: false,
      problems: [
        `${at}.profile: the profile file ${broken.file} is invalid (${broken.errors.length} problem${broken.errors.length === 1 ? '' : 's'} below)`,
        ...broken.errors,
      ],
    };
  }
  try {
    return { ok: true, profile: resolveProfile(charger, profileMap(cat), at) };
  } catch (err) {
    return { ok: false, problems: err instanceof ProfileError ? err.errors : [`${at}: ${(err as Error).message}`] };
  }
}

/** Ids a config may name: every valid and broken profile (broken ones are reported apart), and generic. */
export function knownIds(cat: ProfileCatalogue): string[] {
  return [...new Set([...cat.profiles.keys(), ...cat.broken.keys(), 'generic'])].sort();
}
