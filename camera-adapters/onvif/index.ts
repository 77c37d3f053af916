export { OnvifError, isOnvifError, type OnvifErrorCode } from './errors.ts';
export { OnvifClient, DEFAULT_STREAM_PORTS, type MediaPortRules, type OnvifClientOptions, type DeviceInformation, type MediaProfile, type ServiceEntry } from './client.ts';
export { probeCamera, type ProbeOptions, type ProbeResult, type ProbedProfile } from './probe.ts';
export { discover, type DiscoverOptions, type DiscoveredDevice } from './discovery.ts';
export { checkDeviceUri, assertDeviceUri, normaliseHost, pinXAddr, type DeviceUriKind, type UriCheck } from './uri-guard.ts';
export { checkMediaUri, assertMediaUri, type MediaUriRules, type MediaUriCheck, type MediaUriCode } from './uri-guard.ts';
