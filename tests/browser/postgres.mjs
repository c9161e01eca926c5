// Where a browser test's site keeps its data: set by CTest's browser_pg.* tests to a PostgreSQL
// cluster's maintenance database (BROADSHEET_TEST_STORE_POSTGRES), so that each site gets a new
// database of that cluster; unset, the site's own SQLite file.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';

const CLUSTER = process.env.BROADSHEET_TEST_STORE_POSTGRES ?? '';
let made = 0;

// The arguments `broadsheet init` needs for a new site: none for SQLite, --database-url with a
// new, empty database for PostgreSQL.
export function initArguments() {
  if (!CLUSTER) return [];
  const name = `browser_${process.pid}_${++made}`;
  const done = spawnSync('psql', [CLUSTER, '-Atqc', `CREATE DATABASE ${name}`], { encoding: 'utf8' });
  assert.equal(done.status, 0, done.stderr);
  return ['--database-url', CLUSTER.replace('/postgres', `/${name}`)];
}
