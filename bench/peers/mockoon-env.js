// A Mockoon environment with one CRUD route over the mock's own items, built with
// Mockoon's own schema builders so that it is what its app would save.
//   node mockoon-env.js ITEMS.json PORT OUT.json
const fs = require('fs');
const { BuildEnvironment, BuildDatabucket, BuildCRUDRoute } = require('@mockoon/commons');

const [items, port, out] = [process.argv[2], Number(process.argv[3]), process.argv[4]];
const bucket = BuildDatabucket({ name: 'calltrackings', value: fs.readFileSync(items, 'utf8') });
const route = BuildCRUDRoute(true, { endpoint: 'calltrackings', databucketID: bucket.id });
const environment = {
  ...BuildEnvironment({ hasDefaultRoute: false, hasContentTypeHeader: true, hasCorsHeaders: true, port }),
  name: 'calltrackings',
  hostname: '127.0.0.1',
  data: [bucket],
  routes: [route],
  rootChildren: [{ type: 'route', uuid: route.uuid }],
};
fs.writeFileSync(out, JSON.stringify(environment));
