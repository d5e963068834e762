// Starts @20minutes/s3rver (an S3 server that checks Signature V4) for
// test_upload.sh and the benchmark: one bucket, one access key, a free
// loopback port written to a file once it listens.
//   node s3rver.js MODULE_DIR DATA_DIR BUCKET PORT_FILE [PORT]
// The key pair comes from S3_KEY and S3_SECRET in the environment.
const [moduleDir, dataDir, bucket, portFile, port] = process.argv.slice(2)
const fs = require('node:fs')
const S3rver = require(moduleDir)
const AWSAccount = require(`${moduleDir}/lib/models/account`)

AWSAccount.DUMMY_ACCOUNT.createKeyPair(process.env.S3_KEY, process.env.S3_SECRET)
AWSAccount.DUMMY_ACCOUNT.revokeAccessKey('S3RVER')

const server = new S3rver({
  address: '127.0.0.1',
  port: Number(port || 0),
  directory: dataDir,
  silent: false,
  configureBuckets: [{ name: bucket, configs: [] }],
})
server.run().then(({ port }) => {
  fs.writeFileSync(`${portFile}.tmp`, `${port}\n`)
  fs.renameSync(`${portFile}.tmp`, portFile)
}, (err) => {
  console.error(err)
  process.exit(1)
})
