// `npm run package`: build the deployable artifacts and CloudFormation template offline.
// Dummy credentials: packaging needs none, and none should leak into the output.
import { runOsls } from './osls.ts';

const args = ['package', '--stage', process.env.STAGE ?? 'dev', ...process.argv.slice(2)];
const status = runOsls(args, {
  ...process.env,
  AWS_ACCESS_KEY_ID: process.env.AWS_ACCESS_KEY_ID ?? 'packaging',
  AWS_SECRET_ACCESS_KEY: process.env.AWS_SECRET_ACCESS_KEY ?? 'packaging',
  AWS_REGION: process.env.AWS_REGION ?? 'us-east-1',
  SLS_TELEMETRY_DISABLED: '1',
  SLS_NOTIFICATIONS_MODE: 'off',
});
process.exit(status);
