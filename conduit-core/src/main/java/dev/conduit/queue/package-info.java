/**
 * System V message queues: {@link dev.conduit.queue.MessageQueue}, typed messages received by
 * selector, shared with any process (C, Python {@code sysv_ipc}) that opens the same key.
 */
package dev.conduit.queue;
