// Names of partner cameras the user saw in a request preview: the API lists only cameras in the user's own
// scope, so grant cards and live tiles would otherwise show partner cameras by id.
const KEY = 'shouwang.cameraNames';

function read(): Record<string, string> {
  try {
    return JSON.parse(localStorage.getItem(KEY) ?? '{}') as Record<string, string>;
  } catch {
    return {};
  }
}

export function rememberNames(cams: Array<{ id: string; name: string }>): void {
  const all = { ...read(), ...Object.fromEntries(cams.map((c) => [c.id, c.name])) };
  const keys = Object.keys(all);
  // bounded: the newest 2,000 names
  const kept = Object.fromEntries(keys.slice(Math.max(0, keys.length - 2000)).map((k) => [k, all[k]!]));
  try {
    localStorage.setItem(KEY, JSON.stringify(kept));
  } catch {
    // storage full: names fall back to ids
  }
}

export function cameraName(id: string, known?: Map<string, string>): string {
  return known?.get(id) ?? read()[id] ?? id.slice(0, 8);
}
