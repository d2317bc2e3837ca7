// Reads Proofline's topics as any Java consumer would: kafka-clients and Apicurio Registry's stock Avro
// deserializer (apicurio-registry-serdes-avro-serde), which finds each record's writer schema in the registry
// by the 4-byte id after the 0x00 of the Confluent wire format (KAFKA_VALUE_FORMAT=confluent).
//
//   java -cp <classpath of pom.xml> ProoflineTopicsReader.java <bootstrap servers> <registry v2 API url> <topic>...
//
// The registry URL is Apicurio's v2 REST API, e.g. http://127.0.0.1:8081/apis/registry/v2. Every partition is
// read from its beginning to the end offset it had at start. Records with a `proofline-control` header
// (watermarks) are not events and are skipped. Prints one JSON line per event record:
//   {"topic","partition","offset","key","eventId","eventType","writerSchema","value"}
// where value is the decoded record as Avro's GenericData writes it (longs exact, unions unwrapped).
// Errors go to stderr with a non-zero exit.
import io.apicurio.registry.serde.avro.AvroKafkaDeserializer;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericContainer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

public class ProoflineTopicsReader {
  static final String CONTROL_HEADER = "proofline-control";
  static final String EVENT_ID_HEADER = "event-id";
  static final String EVENT_TYPE_HEADER = "event-type";
  static final Duration DEADLINE = Duration.ofSeconds(60);

  public static void main(String[] args) {
    if (args.length < 3) {
      System.err.println("usage: java -cp <classpath> ProoflineTopicsReader.java <bootstrap servers> <registry v2 API url> <topic>...");
      System.exit(2);
    }
    try {
      read(args[0], args[1], Arrays.asList(args).subList(2, args.length), new PrintStream(System.out, false, StandardCharsets.UTF_8));
    } catch (Exception error) {
      error.printStackTrace(System.err);
      System.err.println("ProoflineTopicsReader: " + String.valueOf(error).replace('\n', ' ')); // last, on one line: what the caller shows first
      System.exit(1);
    }
  }

  /** The deserializer as a consumer would configure it (value.deserializer and these properties). */
  static AvroKafkaDeserializer<Object> valueDeserializer(String registryUrl) {
    Map<String, Object> config = new HashMap<>();
    config.put("apicurio.registry.url", registryUrl);
    // Proofline writes the Confluent framing: 0x00, then the 4-byte id the registry's Confluent-compatible
    // API answered, which on Apicurio Registry 3 is the schema's content id.
    config.put("apicurio.registry.id-handler", "io.apicurio.registry.serde.Legacy4ByteIdHandler");
    config.put("apicurio.registry.use-id", "contentId");
    // The id is in the value, never in Apicurio's own headers.
    config.put("apicurio.registry.headers.enabled", "false");
    AvroKafkaDeserializer<Object> deserializer = new AvroKafkaDeserializer<>();
    deserializer.configure(config, false);
    return deserializer;
  }

  static void read(String bootstrapServers, String registryUrl, List<String> topics, PrintStream out) {
    Properties properties = new Properties();
    properties.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    properties.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    properties.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    // Values are deserialized below, once control records are set aside (a watermark's value is not
    // Confluent-framed, and a consumer's value.deserializer would fail on it inside poll).
    properties.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());

    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(properties);
        AvroKafkaDeserializer<Object> deserializer = valueDeserializer(registryUrl)) {
      List<TopicPartition> partitions = new ArrayList<>();
      for (String topic : topics) {
        List<PartitionInfo> infos = consumer.partitionsFor(topic, DEADLINE);
        if (infos == null || infos.isEmpty()) throw new IllegalStateException("topic " + topic + " has no partitions (does it exist?)");
        for (PartitionInfo info : infos) partitions.add(new TopicPartition(info.topic(), info.partition()));
      }
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      Map<TopicPartition, Long> ends = consumer.endOffsets(partitions, DEADLINE);

      long deadline = System.nanoTime() + DEADLINE.toNanos();
      while (!allRead(consumer, ends)) {
        if (System.nanoTime() > deadline) throw new IllegalStateException("did not reach the end offsets " + ends + " within " + DEADLINE);
        for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(200))) {
          TopicPartition partition = new TopicPartition(record.topic(), record.partition());
          if (record.offset() >= ends.get(partition)) continue; // written after we started
          if (record.headers().lastHeader(CONTROL_HEADER) != null) continue; // not an event
          Object value;
          try {
            value = deserializer.deserialize(record.topic(), record.headers(), record.value());
          } catch (RuntimeException error) {
            throw new IllegalStateException("could not deserialize " + partition + "@" + record.offset() + " (event-id " + header(record.headers(), EVENT_ID_HEADER) + "): " + error.getMessage(), error);
          }
          out.println(jsonLine(record, value));
        }
      }
      out.flush();
    }
  }

  static boolean allRead(KafkaConsumer<?, ?> consumer, Map<TopicPartition, Long> ends) {
    for (Map.Entry<TopicPartition, Long> end : ends.entrySet()) {
      if (consumer.position(end.getKey()) < end.getValue()) return false;
    }
    return true;
  }

  static String jsonLine(ConsumerRecord<byte[], byte[]> record, Object value) {
    GenericData avro = GenericData.get();
    String writerSchema = value instanceof GenericContainer container ? container.getSchema().getFullName() : null;
    return "{\"topic\":" + avro.toString(record.topic())
        + ",\"partition\":" + record.partition()
        + ",\"offset\":" + record.offset()
        + ",\"key\":" + (record.key() == null ? "null" : avro.toString(new String(record.key(), StandardCharsets.UTF_8)))
        + ",\"eventId\":" + headerJson(record.headers(), EVENT_ID_HEADER)
        + ",\"eventType\":" + headerJson(record.headers(), EVENT_TYPE_HEADER)
        + ",\"writerSchema\":" + (writerSchema == null ? "null" : avro.toString(writerSchema))
        // GenericData writes JSON: records and maps as objects, enums and strings quoted, longs in full.
        + ",\"value\":" + avro.toString(value)
        + "}";
  }

  static String header(Headers headers, String name) {
    Header header = headers.lastHeader(name);
    return header == null || header.value() == null ? null : new String(header.value(), StandardCharsets.UTF_8);
  }

  static String headerJson(Headers headers, String name) {
    String value = header(headers, name);
    return value == null ? "null" : GenericData.get().toString(value);
  }
}
