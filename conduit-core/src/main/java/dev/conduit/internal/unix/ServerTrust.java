package dev.conduit.internal.unix;

import dev.conduit.Endpoint;
import dev.conduit.PeerCredentials;
import dev.conduit.internal.Options;
import dev.conduit.internal.posix.Users;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Which listeners a client of {@code unix:}, {@code pipe:} and {@code shm:} talks to: one running
 * as this process's user or as root, and the users {@code ?serverUsers=bob,1001} lists (names or
 * numeric ids, resolved when the client starts, as {@link AccessRules} resolves them).
 *
 * <p>The names of {@code pipe:} and {@code shm:} sockets live in the shared temporary directory,
 * where any local user can bind one first and read what a client then sends. So the client asks
 * the kernel who the listener is ({@code SO_PEERCRED}) and closes before sending a byte if it is
 * nobody it trusts. Before connecting, a socket file in a directory others may write to (such as
 * {@code /tmp}) is judged by its owner the same way, so a squatter's listener never even sees the
 * connection. There is no {@code serverGroups}: {@code SO_PEERCRED} reports only a process's
 * primary group, which any member of a group can take, so trusting a group trusts every member to
 * run a listener; name the users instead.
 */
public final class ServerTrust {
    /** {@code ?serverUsers=}: the users besides this one and root whose listeners a client talks to. */
    public static final String SERVER_USERS = "serverUsers";

    private final Endpoint shown;
    private final Set<String> users;
    private final String self;

    private ServerTrust(Endpoint shown, Set<String> users, String self) {
        this.shown = shown;
        this.users = users;
        this.self = self;
    }

    /**
     * @param options the endpoint whose {@code serverUsers} apply
     * @param shown   the endpoint errors name, e.g. {@code shm:NAME}
     * @return the rules for a client of {@code options}
     * @throws IllegalArgumentException if {@code serverUsers} names a user this system does not have
     */
    public static ServerTrust of(Endpoint options, Endpoint shown) {
        Set<String> users = new LinkedHashSet<>();
        for (String entry : Options.list(options, SERVER_USERS)) {
            users.add(AccessRules.resolve(options, SERVER_USERS, entry, true));
        }
        String self = self();
        users.add(self);
        users.add(Users.userName(0).orElse("0"));
        return new ServerTrust(shown, Set.copyOf(users), self);
    }

    /**
     * Refuses a socket file that another user could have put in a shared directory: one in a
     * directory that others may write to, owned by a user this client does not trust. A file
     * that is not there is left to the connection attempt.
     *
     * @param path the socket file
     * @throws IOException naming the file's owner, if it is refused; or if its attributes cannot be read
     */
    public void checkSocketFile(Path path) throws IOException {
        Path parent = path.toAbsolutePath().getParent();
        PosixFileAttributes file;
        PosixFileAttributes dir;
        try {
            file = Files.readAttributes(path, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            dir = Files.readAttributes(parent, PosixFileAttributes.class);
        } catch (NoSuchFileException e) {
            return;
        }
        String owner = file.owner().getName();
        if (dir.permissions().contains(PosixFilePermission.OTHERS_WRITE) && !users.contains(owner)) {
            throw new IOException(shown + ": connect: " + path + " is owned by " + who(owner) + ", not by "
                    + trusted() + ", in " + parent + ", which every user may write to; add ?" + SERVER_USERS + "="
                    + owner + " to trust it");
        }
    }

    /**
     * Refuses a listener running as a user this client does not trust.
     *
     * @param server the listener's credentials, as the kernel reports them on the connected socket
     * @throws IOException naming the listener's user, if it is refused
     */
    public void checkListener(PeerCredentials server) throws IOException {
        if (!users.contains(server.user())) {
            throw new IOException(shown + ": connect: the listener runs as " + who(server.user()) + ", not as "
                    + trusted() + "; add ?" + SERVER_USERS + "=" + server.user() + " to trust it");
        }
    }

    /** @return {@code root or this user (alice)}, and any {@code serverUsers}: whom this client trusts */
    private String trusted() {
        List<String> trusted = new ArrayList<>(users);
        trusted.remove(self);
        String root = Users.userName(0).orElse("0");
        trusted.remove(root);
        String mine = self.equals(root) ? root : root + " or this user (" + self + ")";
        return mine + (trusted.isEmpty() ? "" : " or one of " + SERVER_USERS + "="
                + String.join(",", trusted.stream().sorted().toList()));
    }

    /**
     * @param path a socket file this user may not connect to
     * @return why, e.g. {@code /tmp/a.sock is owned by root with mode 0600 (rw-------), which does not let
     *         nobody (uid 65534) write to it}
     */
    static String refusal(Path path) {
        String me = who(self());
        try {
            PosixFileAttributes file = Files.readAttributes(path, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            int mode = 0;
            for (PosixFilePermission p : file.permissions()) {
                mode |= 0400 >> p.ordinal(); // The enum runs OWNER_READ .. OTHERS_EXECUTE, high bit to low.
            }
            return path + " is owned by " + who(file.owner().getName()) + " with mode 0" + Integer.toOctalString(mode)
                    + " (" + PosixFilePermissions.toString(file.permissions()) + "), which does not let " + me
                    + " write to it";
        } catch (IOException e) {
            return "a directory above " + path + " does not let " + me + " search it";
        }
    }

    /** @return this process's user as the JDK names users: its name, or its id if it has none */
    private static String self() {
        int uid = Users.getuid();
        return Users.userName(uid).orElse(Integer.toString(uid));
    }

    /** @return {@code nobody (uid 65534)}, or {@code uid 40001} for an id without a name */
    static String who(String user) {
        int uid = uid(user);
        return uid < 0 ? user : user.equals(Integer.toString(uid)) ? "uid " + uid : user + " (uid " + uid + ")";
    }

    /**
     * @param user a user as the JDK names one: the account's name, or its id in decimal if it has none
     * @return the user's id, or -1 if this system knows no such user
     */
    public static int uid(String user) {
        return user.chars().allMatch(Character::isDigit) ? Integer.parseUnsignedInt(user)
                : Users.uidOf(user).orElse(-1);
    }
}
