package dev.conduit.internal.unix;

import dev.conduit.Endpoint;
import dev.conduit.PeerCredentials;
import dev.conduit.internal.Options;
import dev.conduit.internal.posix.Users;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Which peers a local listener accepts: {@code ?allowUsers=alice,1000&allowGroups=staff}.
 * Entries are names or numeric ids; both are resolved when the listener starts, so a typo is
 * an error then, not a silent refusal of everyone later. A peer passes if its user is listed
 * or its group is listed; with neither option, everyone the socket's mode lets in passes.
 */
public final class AccessRules {
    public static final String ALLOW_USERS = "allowUsers";
    public static final String ALLOW_GROUPS = "allowGroups";

    private final Set<String> users;
    private final Set<String> groups;

    private AccessRules(Set<String> users, Set<String> groups) {
        this.users = users;
        this.groups = groups;
    }

    static AccessRules of(Endpoint endpoint) {
        Set<String> users = new LinkedHashSet<>();
        for (String entry : Options.list(endpoint, ALLOW_USERS)) {
            users.add(resolve(endpoint, ALLOW_USERS, entry, true));
        }
        Set<String> groups = new LinkedHashSet<>();
        for (String entry : Options.list(endpoint, ALLOW_GROUPS)) {
            groups.add(resolve(endpoint, ALLOW_GROUPS, entry, false));
        }
        return new AccessRules(Set.copyOf(users), Set.copyOf(groups));
    }

    /** @return the name the JDK reports for this user or group: its name, or the id if it has none */
    static String resolve(Endpoint endpoint, String option, String entry, boolean user) {
        if (entry.chars().allMatch(Character::isDigit)) {
            int id = Integer.parseUnsignedInt(entry);
            return (user ? Users.userName(id) : Users.groupName(id)).orElse(entry);
        }
        if ((user ? Users.uidOf(entry) : Users.gidOf(entry)).isEmpty()) {
            throw new IllegalArgumentException("endpoint '" + endpoint + "': " + option + " names " + entry
                    + ", but this system has no such " + (user ? "user" : "group"));
        }
        return entry;
    }

    boolean allows(PeerCredentials peer) {
        if (users.isEmpty() && groups.isEmpty()) {
            return true;
        }
        return users.contains(peer.user()) || groups.contains(peer.group());
    }

    @Override
    public String toString() {
        return ALLOW_USERS + "=" + String.join(",", List.copyOf(users)) + " " + ALLOW_GROUPS + "="
                + String.join(",", List.copyOf(groups));
    }
}
