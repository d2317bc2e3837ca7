// The Java consumer's jars (kafka-clients, Apicurio's Avro serde; pom.xml here), for its spec:
//   node --import tsx infra/bus/kafka/java-consumer/java-consumer-cli.ts fetch    resolve them with Maven (CI runs this first)
import { runCliCommand, say, seconds } from '../../../local/cli-output.ts';
import { resolveJavaConsumerClasspath } from './java-consumer.ts';

await runCliCommand('infra/bus/kafka/java-consumer/java-consumer-cli.ts', 'java-consumer', {
  async fetch() {
    const result = await resolveJavaConsumerClasspath({ onProgress: (message) => say(`java-consumer: ${message}`) });
    say(`java-consumer: classpath ready: ${result.jars} jars (${result.cached ? 'cached' : 'resolved with Maven'} in ${seconds(result.ms)})`);
  },
});
