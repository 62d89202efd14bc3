package dev.conduit.nats.internal;

import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamManagement;
import io.nats.client.api.AckPolicy;
import io.nats.client.api.ConsumerConfiguration;
import io.nats.client.api.DeliverPolicy;
import io.nats.client.api.StorageType;
import io.nats.client.api.StreamConfiguration;
import io.nats.client.api.StreamInfo;

import java.io.IOException;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;

/** What {@code ?stream=} needs of JetStream: the stream, and a consumer's starting point. */
final class JetStreams {
    /** JetStream's error code for a stream that does not exist. */
    private static final int STREAM_NOT_FOUND = 10059;
    /**
     * How long JetStream waits for a receiver's acknowledgement before it delivers the message
     * again. A receiver acknowledges a message when it asks for the next one or closes, so this
     * bounds how long a message taken by a receiver that died (or lost on its way when a server
     * died) holds the consumer up; a receiver that takes longer over a message gets it again
     * and passes it over (see {@link JetStreamReceiver}).
     */
    static final Duration ACK_WAIT = Duration.ofSeconds(10);

    private JetStreams() {
    }

    /**
     * Makes sure the stream exists: creates it, on file storage with JetStream's default limits
     * and the endpoint's subject, if it does not. An existing stream is used as it is.
     *
     * @param s   the settings
     * @param jsm the management API
     * @param call the API call, for messages
     * @throws IOException naming the endpoint and the stream, if JetStream refused
     */
    static void ensureStream(NatsSettings s, JetStreamManagement jsm, String call) throws IOException {
        try {
            try {
                StreamInfo info = jsm.getStreamInfo(s.stream());
                if (info != null) {
                    return;
                }
            } catch (JetStreamApiException e) {
                if (e.getApiErrorCode() != STREAM_NOT_FOUND) {
                    throw e;
                }
            }
            jsm.addStream(StreamConfiguration.builder().name(s.stream()).subjects(s.subject())
                    .storageType(StorageType.File).build());
        } catch (JetStreamApiException e) {
            throw new IOException(s.name() + ": " + call + ": stream " + s.stream() + ": " + e.getMessage(), e);
        }
    }

    /**
     * The configuration of a new consumer for a receiver: explicit acknowledgements, one message
     * unacknowledged at most, starting
     * where {@code ?from=} says ({@code end}, only new messages, by default, as for {@code log:}).
     *
     * @param s the settings
     * @return the configuration
     * @throws IllegalArgumentException if {@code from} is none of {@code start}, {@code end}, a
     *                                  sequence number or an ISO-8601 time with its offset
     */
    static ConsumerConfiguration consumer(NatsSettings s) {
        // One message out at a time: a message lost when a server dies is delivered again before
        // any later one, so receivers see the stream in order whatever fails.
        ConsumerConfiguration.Builder b = ConsumerConfiguration.builder().ackPolicy(AckPolicy.Explicit)
                .ackWait(ACK_WAIT).maxAckPending(1).filterSubject(s.subject());
        if (s.durable() != null) {
            b.durable(s.durable());
        } else {
            b.inactiveThreshold(Duration.ofMinutes(1));
        }
        String from = s.from() == null ? "end" : s.from();
        if (from.equals("start")) {
            return b.deliverPolicy(DeliverPolicy.All).build();
        }
        if (from.equals("end")) {
            return b.deliverPolicy(DeliverPolicy.New).build();
        }
        if (from.matches("[1-9][0-9]{0,18}")) {
            return b.deliverPolicy(DeliverPolicy.ByStartSequence).startSequence(Long.parseLong(from)).build();
        }
        try {
            // A '+' in a query means a space: "…T11:00+01:00" arrives as "…T11:00 01:00".
            OffsetDateTime t = OffsetDateTime.parse(from.replace(' ', '+'), DateTimeFormatter.ISO_OFFSET_DATE_TIME);
            return b.deliverPolicy(DeliverPolicy.ByStartTime).startTime(ZonedDateTime.from(t)).build();
        } catch (DateTimeException e) {
            throw new IllegalArgumentException("endpoint '" + s.name() + "': from=" + from + " (expected start, end,"
                    + " a stream sequence number from 1, e.g. 42, or a time with its offset such as 2026-12-06T10:00Z)",
                    e);
        }
    }
}
