export { locateFfmpeg, locateFfprobe } from './locate.ts';
export { spawnManaged, runToCompletion, type ManagedProcess, type ExitInfo, type SpawnOptions } from './process.ts';
export {
  inputArgs,
  relayArgs,
  snapshotArgs,
  testClipArgs,
  loopPublishArgs,
  simClipArgs,
  simAudioClipArgs,
  simSnapshotArgs,
  drawtextFilter,
  type SimClipOptions,
  type InputTuning,
  type RelayOptions,
  type SnapshotOptions,
  type TestClipOptions,
} from './commands.ts';
