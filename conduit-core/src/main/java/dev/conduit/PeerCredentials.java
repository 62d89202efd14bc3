package dev.conduit;

import java.util.Objects;

/**
 * Who is at the other end of a local socket, as the kernel reports it ({@code SO_PEERCRED}).
 * Names are the account and group names where the system knows them, otherwise the numeric
 * ids as decimal strings.
 *
 * @param user  the peer process's effective user
 * @param group the peer process's effective group
 */
public record PeerCredentials(String user, String group) {
    /**
     * Makes the credentials from their names.
     *
     * @throws NullPointerException if either argument is null
     */
    public PeerCredentials {
        Objects.requireNonNull(user, "user");
        Objects.requireNonNull(group, "group");
    }
}
