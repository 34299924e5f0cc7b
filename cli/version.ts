// The version reported by `--version` and the Mesos-DNS `/v1/version` endpoint: package.json's.
import { PACKAGE_VERSION } from '../core/index.js';

export const VERSION = PACKAGE_VERSION;
