'use strict';
// A serverless plugin of this project: parts of the service that a stage may leave out, each
// switched by a stage parameter read into `custom`. The local runtime applies the same table
// (infra/local/service-config.ts), so that `npm start` runs what a deploy would create.
// - live: GET /live, the WebSocket API, the broadcaster, their table and secret. Emulators
//   that cannot create WebSocket APIs still run everything else: MiniStack 1.5.33 refuses
//   AWS::ApiGatewayV2::Deployment (infra/emulator/workarounds.ts).
// - simulator: seed 004's simulated network and its retention job. It is a demo: its
//   packets, flows and devices land in the same tables as real clients' data.
const FEATURES = {
  live: { functions: ['live', 'liveSocket', 'liveBroadcaster'], resources: ['LiveConnectionsTable', 'LiveTokenSecret'], outputs: ['LiveConnectionsTableName'] },
  simulator: { functions: ['simulator', 'simulatorRetention'], resources: [], outputs: [] },
};

/** What the stage leaves out: the parts of every feature whose `custom` switch is "off". */
function omittedParts(custom) {
  const off = Object.keys(FEATURES).filter((name) => String(custom?.[name] ?? 'on') === 'off');
  const parts = (kind) => off.flatMap((name) => FEATURES[name][kind]);
  return { features: off, functions: parts('functions'), resources: parts('resources'), outputs: parts('outputs') };
}

class StageFeatures {
  constructor(serverless) {
    this.serverless = serverless;
    this.hooks = { 'before:package:initialize': () => this.apply() };
  }

  apply() {
    const service = this.serverless.service;
    const omitted = omittedParts(service.custom);
    if (omitted.features.length === 0) return;
    for (const name of omitted.functions) delete service.functions[name];
    const resources = service.resources ?? {};
    for (const name of omitted.resources) delete resources.Resources?.[name];
    for (const name of omitted.outputs) delete resources.Outputs?.[name];
    this.serverless.cli.log(`left out of this stage: ${omitted.features.join(', ')} (stage parameters)`);
  }
}

module.exports = StageFeatures;
module.exports.omittedParts = omittedParts;
