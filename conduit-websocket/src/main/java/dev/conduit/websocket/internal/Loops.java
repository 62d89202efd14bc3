package dev.conduit.websocket.internal;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SelectStrategy;
import io.netty.channel.SelectStrategyFactory;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.IntSupplier;
import io.netty.util.concurrent.DefaultThreadFactory;

import java.nio.channels.spi.SelectorProvider;

/**
 * The event loops every WebSocket listener and connection of this JVM shares: epoll where
 * Netty's native transport loads, NIO otherwise. Daemon threads, made on first use, so they
 * never keep a JVM alive.
 *
 * <p>A loop that has just had work looks for more without sleeping for {@link #SPIN_NANOS}
 * before it waits in the kernel, as Conduit's own receivers do: a reply that comes within that
 * time costs no wake-up. On one CPU (or one allowed by the process's affinity) it never spins.
 * There is one loop per two CPUs, at most four: every message crosses between a loop and the
 * application's threads, and on a small machine more spinning threads than CPUs only delay
 * each other (measured on two CPUs: one loop, spinning, with receivers that sleep, gave the
 * lowest round trip; see docs/websocket.md).
 */
final class Loops {
    /** As the socket transports' default spin: longer than a local round trip. */
    static final long SPIN_NANOS = Runtime.getRuntime().availableProcessors() > 1 ? 50_000 : 0;
    private static final boolean EPOLL = Epoll.isAvailable();
    private static final SelectStrategyFactory SPIN_THEN_SELECT = SpinThenSelect::new;
    static final EventLoopGroup GROUP = new MultiThreadIoEventLoopGroup(
            Math.max(1, Math.min(4, Runtime.getRuntime().availableProcessors() / 2)),
            new DefaultThreadFactory("conduit-ws", true),
            EPOLL ? EpollIoHandler.newFactory(0, SPIN_THEN_SELECT)
                    : NioIoHandler.newFactory(SelectorProvider.provider(), SPIN_THEN_SELECT));

    private Loops() {
    }

    static Class<? extends ServerChannel> serverChannel() {
        return EPOLL ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
    }

    static Class<? extends SocketChannel> channel() {
        return EPOLL ? EpollSocketChannel.class : NioSocketChannel.class;
    }

    /** One loop's strategy: look without waiting while work came within the spin, then wait. */
    private static final class SpinThenSelect implements SelectStrategy {
        /** When the loop last had events or tasks; its own thread only. */
        private long activeAt = System.nanoTime();

        @Override
        public int calculateStrategy(IntSupplier selectNow, boolean hasTasks) throws Exception {
            int ready = selectNow.get();
            long now = System.nanoTime();
            if (ready > 0 || hasTasks) {
                activeAt = now;
                return ready;
            }
            if (now - activeAt < SPIN_NANOS) {
                Thread.onSpinWait();
                return 0;
            }
            return SelectStrategy.SELECT;
        }
    }
}
