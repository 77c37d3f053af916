// Public surface of the camera simulator.
export { startSimulator, type CameraSpec, type Simulator, type SimulatorOptions, type SimulatorStats } from './simulator.ts';
export { SimCamera, type SimCameraStats } from './sim-camera.ts';
export { SimulatorError, type SimulatorErrorCode } from './errors.ts';
export { PROFILES, type MediaProfile, type ProfileToken } from './profiles.ts';
export { enrolmentCsv, ownerFor, ENROLMENT_COLUMNS } from './owner-data.ts';
export { usernameTokenHeader, passwordDigest } from './ws-security.ts';
export { buildProbe, DISCOVERY_GROUP, DISCOVERY_PORT } from './ws-discovery.ts';
