'use strict';
// A serverless plugin of this project: before packaging (package, deploy), builds the
// dashboard's static files when they are missing or older than their sources, because the
// dashboard function ships them (serverless.yml, package.patterns). The build is Vite's,
// run by dashboard/build.ts in a node that runs TypeScript (this one: osls runs under the
// project's Node 24).
const { spawnSync } = require('node:child_process');
const { join } = require('node:path');

class DashboardBuild {
  constructor(serverless) {
    this.serverless = serverless;
    this.hooks = { 'before:package:initialize': () => this.build() };
  }

  build() {
    const root = this.serverless.config.servicePath;
    const result = spawnSync(process.execPath, [join(root, 'dashboard', 'build.ts'), '--if-missing'], { cwd: root, stdio: 'inherit' });
    if (result.status !== 0) throw new Error(`building the dashboard failed (exit ${result.status}): run npm run build:dashboard to see why`);
  }
}

module.exports = DashboardBuild;
