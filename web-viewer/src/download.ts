// Saving what the page fetched (with the session's bearer token) or drew as a file on the user's machine.
import { rawCall } from './api/client.ts';

export function saveBlob(blob: Blob, filename: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  a.rel = 'noopener';
  document.body.appendChild(a);
  a.click();
  a.remove();
  // the download has its own copy by then; a minute is ample on a slow disk
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/** Fetches an authorised download (the gateway re-authorises and audits it) and saves it under `filename`. */
export async function download(url: string, filename: string): Promise<void> {
  const res = await rawCall('get', url);
  saveBlob(await res.blob(), filename);
}

/** A file-name-safe form of a camera name and a wall-clock instant in Beijing time: `name_20261124-083015`. */
export function fileStem(name: string, at: number | Date): string {
  const safe = name.replace(/[\\/:*?"<>|\s]+/g, '_').replace(/^_+|_+$/g, '').slice(0, 80) || 'camera';
  const d = new Date(new Date(at).getTime() + 8 * 3600_000).toISOString();
  return `${safe}_${d.slice(0, 10).replaceAll('-', '')}-${d.slice(11, 19).replaceAll(':', '')}`;
}
