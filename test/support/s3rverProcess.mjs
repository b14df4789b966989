// s3rver as a process of its own (for a "host" in a network namespace): node s3rverProcess.mjs <address> <directory> <bucket>
import S3rver from 's3rver';

const [address, directory, bucket] = process.argv.slice(2);
const server = new S3rver({ port: 0, address, silent: true, directory, configureBuckets: [{ name: bucket }] });
const { port } = await server.run();
process.stdout.write(`s3rver listening on ${address}:${port}\n`);
process.on('SIGTERM', () => {
  server.close().then(() => process.exit(0), () => process.exit(1));
});
