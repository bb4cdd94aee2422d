'use strict';
// A serverless plugin of this project: stages whose `live` parameter is "off" deploy the
// stack without its live channel (GET /live, the WebSocket API, the broadcaster, their
// table and secret). Emulators that cannot create WebSocket APIs then still run everything
// else: MiniStack 1.5.33 refuses AWS::ApiGatewayV2::Deployment (infra/emulator/workarounds.ts).
const LIVE_FUNCTIONS = ['live', 'liveSocket', 'liveBroadcaster'];
const LIVE_RESOURCES = ['LiveConnectionsTable', 'LiveTokenSecret'];
const LIVE_OUTPUTS = ['LiveConnectionsTableName'];

class LiveChannel {
  constructor(serverless) {
    this.serverless = serverless;
    this.hooks = { 'before:package:initialize': () => this.apply() };
  }

  apply() {
    const service = this.serverless.service;
    if (String(service.custom?.live ?? 'on') !== 'off') return;
    for (const name of LIVE_FUNCTIONS) delete service.functions[name];
    const resources = service.resources ?? {};
    for (const name of LIVE_RESOURCES) delete resources.Resources?.[name];
    for (const name of LIVE_OUTPUTS) delete resources.Outputs?.[name];
    this.serverless.cli.log('live channel off for this stage (param live: off)');
  }
}

module.exports = LiveChannel;
