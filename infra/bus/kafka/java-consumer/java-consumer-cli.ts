// The Java consumer's jars (kafka-clients, Apicurio's Avro serde; pom.xml here), for its spec:
//   node --import tsx infra/bus/kafka/java-consumer/java-consumer-cli.ts fetch    resolve them with Maven (CI runs this first)
import { say, seconds } from '../../../local/cli-output.ts';
import { resolveJavaConsumerClasspath } from './java-consumer.ts';

const name = process.argv[2] ?? '';
if (name !== 'fetch') {
  process.stderr.write('usage: node --import tsx infra/bus/kafka/java-consumer/java-consumer-cli.ts fetch\n');
  process.exit(2);
}
try {
  const result = await resolveJavaConsumerClasspath({ onProgress: (message) => say(`java-consumer: ${message}`) });
  say(`java-consumer: classpath ready: ${result.jars} jars (${result.cached ? 'cached' : 'resolved with Maven'} in ${seconds(result.ms)})`);
} catch (error) {
  process.stderr.write(`java-consumer fetch: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
}
