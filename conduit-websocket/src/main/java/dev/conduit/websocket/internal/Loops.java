package dev.conduit.websocket.internal;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;

/**
 * The event loops every WebSocket listener and connection of this JVM shares: epoll where
 * Netty's native transport loads, NIO otherwise. Daemon threads, made on first use, so they
 * never keep a JVM alive.
 */
final class Loops {
    private static final boolean EPOLL = Epoll.isAvailable();
    static final EventLoopGroup GROUP = new MultiThreadIoEventLoopGroup(
            Math.min(4, Runtime.getRuntime().availableProcessors()),
            new DefaultThreadFactory("conduit-ws", true),
            EPOLL ? EpollIoHandler.newFactory() : NioIoHandler.newFactory());

    private Loops() {
    }

    static Class<? extends ServerChannel> serverChannel() {
        return EPOLL ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
    }

    static Class<? extends SocketChannel> channel() {
        return EPOLL ? EpollSocketChannel.class : NioSocketChannel.class;
    }

    /** @return which I/O Netty uses here, for messages */
    static String kind() {
        return EPOLL ? "epoll" : "nio";
    }
}
