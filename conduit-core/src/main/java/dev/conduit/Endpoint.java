package dev.conduit;

import dev.conduit.internal.Transports;
import dev.conduit.internal.unix.UnixPaths;
import dev.conduit.internal.zipc.ZipcTransport;

import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Where to listen or connect: one string whose scheme picks the transport, with options in a
 * query ({@code unix:/tmp/app.sock?maxFrame=1048576}). Immutable and thread-safe.
 *
 * <table>
 * <caption>Endpoint forms</caption>
 * <tr><th>form</th><th>transport</th></tr>
 * <tr><td>{@code unix:PATH}</td><td>Unix domain stream socket at PATH</td></tr>
 * <tr><td>{@code pipe:NAME}</td><td>.NET/Kiwi named pipe: a Unix socket at
 *     {@code $TMPDIR/CoreFxPipe_NAME} ({@code /tmp} when TMPDIR is unset)</td></tr>
 * <tr><td>{@code tcp://HOST:PORT}</td><td>TCP; port 0 lets the listener pick one</td></tr>
 * <tr><td>{@code fifo:PATH}</td><td>a named FIFO, one way: {@link Conduit#openSender(String)} and
 *     {@link Conduit#openReceiver(String)} (izilang's {@code /tmp/izi_ipc_NAME})</td></tr>
 * <tr><td>{@code mq:KEY}</td><td>a System V message queue, one way ({@link Conduit#openSender},
 *     {@link Conduit#openReceiver}); {@code ?type=} is the sender's type, the receiver's selector</td></tr>
 * <tr><td>{@code shm:NAME}</td><td>two shared-memory rings per connection, set up over a Unix
 *     socket</td></tr>
 * <tr><td>{@code log:PATH}</td><td>a durable message log in the directory PATH, one-way
 *     ({@link Conduit#openSender}, {@link Conduit#openReceiver}; {@link LogPosition})</td></tr>
 * <tr><td>{@code mem:NAME}</td><td>in this JVM</td></tr>
 * <tr><td>{@code stdio} or {@code -}</td><td>this process's standard input and output</td></tr>
 * <tr><td>{@code ws://…}, {@code wss://…}</td><td>WebSocket (module conduit-websocket)</td></tr>
 * <tr><td>{@code SCHEME:ADDRESS}, any other scheme</td><td>the transport a
 *     {@link dev.conduit.spi.TransportProvider} registers for it; the address is kept as
 *     written (with its {@code //}, if any), and the options are parsed as for every scheme</td></tr>
 * <tr><td>anything else, and {@code HOST:PORT[/PATH]}</td><td>"bare": a remote URL, or a local Unix socket path, chosen as
 *     ipcez does from the environment variables {@code target} and {@code os} ({@code os} in any
 *     case); a local one's {@code maxFrame} is ipcez's 4 MiB by default, and with {@code ?ack=ipcez}
 *     it speaks ipcez's semaphore acknowledgements ({@link #isBare()})</td></tr>
 * </table>
 *
 * <p>Options are {@code name=value} pairs after {@code ?}, joined by {@code &}, values
 * percent-decoded. Each transport says which names it accepts; an unknown name is an error
 * when the endpoint is used.
 */
public final class Endpoint {
    /** Schemes written with an authority ({@code scheme://host:port}). */
    private static final Set<String> URL_SCHEMES = Set.of("tcp", "ws", "wss");
    private static final Set<String> SCHEMES =
            Set.of("unix", "pipe", "tcp", "mem", "stdio", "fifo", "shm", "mq", "log", "ws", "wss", "zipc");
    /** Schemes that carry messages one way, opened with {@code openSender}/{@code openReceiver}. */
    private static final Set<String> ONE_WAY_SCHEMES = Set.of("fifo", "mq", "log", "zipc");
    private static final Pattern SCHEME_NAME = Pattern.compile("[a-z][a-z0-9+.-]*");
    private static final Pattern SCHEME = Pattern.compile("([A-Za-z][A-Za-z0-9+.-]*):(.*)", Pattern.DOTALL);
    /** What follows {@code host:} in a bare {@code host:port/path}: not a scheme's address. */
    private static final Pattern HOST_PORT_REST = Pattern.compile("[0-9]{1,5}(/.*)?", Pattern.DOTALL);
    private static final Pattern OPTION_NAME = Pattern.compile("[A-Za-z][A-Za-z0-9_.-]*");
    /** An option with a secret value in an endpoint's text, for messages about text that did not parse. */
    private static final Pattern SECRET_IN_QUERY =
            Pattern.compile("(?<=[?&])(token|authkey|[A-Za-z][A-Za-z0-9_.-]*Password)=[^&]*");
    private static final Pattern HOST_PORT = Pattern.compile("(\\[[0-9A-Fa-f:.%A-Za-z]+]|[^:/\\[\\]]+):([0-9]{1,5})");

    private final String scheme;
    private final String address;
    private final Map<String, String> options;
    /** Written without a scheme, ipcez's way: resolved through {@code target} and {@code os}. */
    private final boolean bare;

    private Endpoint(String scheme, String address, Map<String, String> options) {
        this(scheme, address, options, false);
    }

    private Endpoint(String scheme, String address, Map<String, String> options, boolean bare) {
        this.scheme = scheme;
        this.address = address;
        this.options = Collections.unmodifiableMap(new LinkedHashMap<>(options));
        this.bare = bare;
    }

    /**
     * Parses an endpoint, resolving a bare one with the environment variables {@code target}
     * ({@code local}|{@code remote}) and {@code os} ({@code linux}|{@code macos}|{@code windows})
     * when they are set.
     *
     * @param text the endpoint
     * @return the parsed endpoint
     * @throws IllegalArgumentException naming the text and what was expected, if it is malformed
     *                                  or the environment variables are invalid or unsupported
     */
    public static Endpoint parse(String text) {
        return parse(text, System::getenv, hostOs());
    }

    /** As {@link #parse(String)}, with the environment and the host OS given (for tests). */
    static Endpoint parse(String text, UnaryOperator<String> env, String hostOs) {
        Objects.requireNonNull(text, "endpoint");
        try {
            return parseText(text, env, hostOs);
        } catch (IllegalArgumentException e) {
            String shown = SECRET_IN_QUERY.matcher(text).replaceAll("$1=***");
            if (shown.equals(text)) {
                throw e;
            }
            // Without the cause: its message quotes the text as written, secrets and all.
            throw new IllegalArgumentException(e.getMessage().replace(text, shown));
        }
    }

    private static Endpoint parseText(String text, UnaryOperator<String> env, String hostOs) {
        if (text.isEmpty()) {
            throw new IllegalArgumentException(
                    "endpoint is empty (expected e.g. unix:/tmp/app.sock, tcp://127.0.0.1:9000)");
        }
        if (text.equals("-")) {
            return new Endpoint("stdio", "", Map.of());
        }
        Matcher m = SCHEME.matcher(text);
        if (m.matches() && !isWindowsDrive(m.group(1), hostOs)) {
            String scheme = m.group(1).toLowerCase(Locale.ROOT);
            // Any other well-formed scheme is a plugged-in transport's: the registry decides
            // when the endpoint is used whether one serves it.
            // HOST:PORT with options is still bare: written back, an empty query is dropped, and
            // "o:7?" must read back as what "o:7" reads as (found by EndpointFuzzTest).
            String rest = m.group(2);
            int query = rest.indexOf('?');
            if (SCHEMES.contains(scheme)
                    || !HOST_PORT_REST.matcher(query < 0 ? rest : rest.substring(0, query)).matches()) {
                return parseWithScheme(text, scheme, m.group(2));
            }
        }
        if (text.equals("stdio") || text.startsWith("stdio?")) {
            return parseWithScheme(text, "stdio", text.substring("stdio".length()));
        }
        return parseBare(text, env, hostOs);
    }

    /**
     * Makes an endpoint from its parts, validated as {@link #parse} would.
     *
     * @param scheme  a scheme (RFC 3986: a letter, then letters, digits, {@code +}, {@code -} or
     *                {@code .}), matched in lower case; built-in or served by a
     *                {@link dev.conduit.spi.TransportProvider}
     * @param address the part after {@code scheme:} (after {@code scheme://} for tcp, ws, wss)
     * @param options option names to values
     * @return the endpoint
     * @throws IllegalArgumentException if a part is invalid
     */
    public static Endpoint of(String scheme, String address, Map<String, String> options) {
        String s = scheme.toLowerCase(Locale.ROOT);
        if (!SCHEME_NAME.matcher(s).matches()) {
            throw new IllegalArgumentException("invalid scheme '" + scheme + "' (expected a letter, then letters,"
                    + " digits, '+', '-' or '.')");
        }
        Endpoint e = new Endpoint(s, address, options);
        options.keySet().forEach(name -> checkOptionName(e.redacted(), name));
        validateAddress(e.redacted(), s, address);
        return e;
    }

    private static Endpoint parseWithScheme(String text, String scheme, String rest) {
        int q = rest.indexOf('?');
        String address = q < 0 ? rest : rest.substring(0, q);
        Map<String, String> options = q < 0 ? Map.of() : parseQuery(text, rest.substring(q + 1));
        if (URL_SCHEMES.contains(scheme)) {
            if (!address.startsWith("//")) {
                throw new IllegalArgumentException("endpoint '" + text + "': expected " + scheme + "://HOST:PORT"
                        + (scheme.equals("tcp") ? "" : "/PATH"));
            }
            address = address.substring(2);
        }
        validateAddress(text, scheme, address);
        return new Endpoint(scheme, address, options);
    }

    private static Endpoint parseBare(String text, UnaryOperator<String> env, String hostOs) {
        String target = env.apply("target");
        if (target != null && !target.isEmpty() && !target.equals("local") && !target.equals("remote")) {
            throw new IllegalArgumentException("environment variable target=" + target
                    + " is invalid (expected local or remote), resolving endpoint '" + text + "'");
        }
        String written = env.apply("os");
        // ipcez reads os case-insensitively (Linux, WINDOWS); target it reads as written.
        String os = written == null ? null : written.toLowerCase(Locale.ROOT);
        if (os != null && !os.isEmpty() && !os.equals("linux") && !os.equals("windows") && !os.equals("macos")) {
            throw new IllegalArgumentException("environment variable os=" + written
                    + " is invalid (expected linux, windows or macos, in any case), resolving endpoint '" + text + "'");
        }
        String effectiveOs = os == null || os.isEmpty() ? hostOs : os;
        boolean hostWindows = hostOs.equals("windows");
        if (effectiveOs.equals("windows") != hostWindows) {
            throw new IllegalArgumentException("unsupported combination: os=" + effectiveOs + " on a " + hostOs
                    + " host, resolving endpoint '" + text + "'"
                    + (hostWindows ? "" : " (Windows named pipes exist only on Windows; for the .NET"
                    + " convention on this host write pipe:NAME)"));
        }
        Endpoint resolved = "remote".equals(target) ? parseWithScheme(text, "ws", "//" + text)
                : parseWithScheme(text, hostWindows ? "pipe" : "unix", text);
        return new Endpoint(resolved.scheme, resolved.address, resolved.options, true);
    }

    private static boolean isWindowsDrive(String scheme, String hostOs) {
        return scheme.length() == 1 && hostOs.equals("windows");
    }

    private static Map<String, String> parseQuery(String text, String query) {
        Map<String, String> options = new LinkedHashMap<>();
        if (query.isEmpty()) {
            return options;
        }
        for (String pair : query.split("&", -1)) {
            int eq = pair.indexOf('=');
            String name = eq < 0 ? pair : pair.substring(0, eq);
            String value = eq < 0 ? "true" : pair.substring(eq + 1);
            checkOptionName(text, name);
            try {
                value = URLDecoder.decode(value, StandardCharsets.UTF_8);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("endpoint '" + text + "': option " + name
                        + " has a malformed %-escape" + (isSecret(name) ? "" : ": " + value), e);
            }
            if (options.putIfAbsent(name, value) != null) {
                throw new IllegalArgumentException("endpoint '" + text + "': option " + name + " is given twice");
            }
        }
        return options;
    }

    private static void checkOptionName(String text, String name) {
        if (!OPTION_NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("endpoint '" + text + "': invalid option name '" + name
                    + "' (expected a letter, then letters, digits, '_', '.' or '-')");
        }
    }

    private static void validateAddress(String text, String scheme, String address) {
        if (address.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("endpoint '" + text.replace('\0', '?') + "': contains a NUL character");
        }
        switch (scheme) {
            case "stdio" -> {
                if (!address.isEmpty()) {
                    throw new IllegalArgumentException("endpoint '" + text + "': stdio takes no address");
                }
            }
            case "unix" -> {
                requireNonEmpty(text, address, "unix:PATH");
                UnixPaths.checkLength(text, address);
            }
            case "pipe" -> {
                requireNonEmpty(text, address, "pipe:NAME");
                if (address.contains("/") || address.contains("..")) {
                    throw new IllegalArgumentException("endpoint '" + text + "': pipe name '" + address
                            + "' must not contain '/' or '..'");
                }
            }
            case "tcp" -> {
                Matcher m = HOST_PORT.matcher(address);
                if (!m.matches() || Integer.parseInt(m.group(2)) > 65535) {
                    throw new IllegalArgumentException("endpoint '" + text
                            + "': expected tcp://HOST:PORT with PORT 0-65535");
                }
            }
            case "fifo" -> requireNonEmpty(text, address, "fifo:PATH");
            case "ws", "wss" -> requireNonEmpty(text, address, scheme + "://HOST:PORT/PATH");
            case "zipc" -> {
                String problem = ZipcTransport.addressProblem(address);
                if (problem != null) {
                    throw new IllegalArgumentException("endpoint '" + text + "': expected zipc:/NAME; " + problem);
                }
            }
            case "mem", "shm", "mq", "log" -> requireNonEmpty(text, address, scheme + ":NAME");
            default -> {
                // A plugged-in transport's address is its own to judge.
            }
        }
    }

    private static void requireNonEmpty(String text, String address, String expected) {
        if (address.isEmpty()) {
            throw new IllegalArgumentException("endpoint '" + text + "': expected " + expected);
        }
    }

    static String hostOs() {
        String name = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        if (name.startsWith("windows")) {
            return "windows";
        }
        if (name.startsWith("mac") || name.startsWith("darwin")) {
            return "macos";
        }
        return "linux";
    }

    /**
     * The scheme, which picks the transport.
     *
     * @return the scheme in lower case, e.g. {@code unix}, {@code tcp}
     */
    public String scheme() {
        return scheme;
    }

    /**
     * Whether this endpoint carries messages one way only.
     *
     * @return {@code true} for {@code fifo:}, {@code mq:}, {@code log:} and {@code zipc:}, and
     *         for a scheme a {@link dev.conduit.spi.TransportProvider} lists in
     *         {@link dev.conduit.spi.TransportProvider#oneWaySchemes()}; such endpoints are opened with {@link Conduit#openSender} and {@link Conduit#openReceiver} rather
     *         than {@link Conduit#listen} and {@link Conduit#connect}
     */
    public boolean isOneWay() {
        return ONE_WAY_SCHEMES.contains(scheme) || !SCHEMES.contains(scheme) && Transports.isOneWay(scheme);
    }

    /**
     * Whether this endpoint opens either way: as one-way ends ({@link Conduit#openSender},
     * {@link Conduit#openReceiver}) as well as a listener and connections, as a broker's subject
     * does. Never blocks.
     *
     * @return {@code true} for a scheme a {@link dev.conduit.spi.TransportProvider} lists in
     *         {@link dev.conduit.spi.TransportProvider#eitherWaySchemes()}, such as {@code nats};
     *         {@link #isOneWay()} is then {@code false}
     */
    public boolean opensEitherWay() {
        return !SCHEMES.contains(scheme) && Transports.isEitherWay(scheme);
    }

    /**
     * The address, without scheme or options.
     *
     * @return the part after the scheme and before the query: a path ({@code unix}), a name
     *         ({@code pipe}, {@code mem}), {@code host:port} ({@code tcp}), {@code host:port/path}
     *         ({@code ws}); empty for {@code stdio}
     */
    public String address() {
        return address;
    }

    /**
     * All the options, as written in the query.
     *
     * @return option names to their percent-decoded values, in the order written; unmodifiable,
     *         empty when there is no query
     */
    public Map<String, String> options() {
        return options;
    }

    /**
     * One option's value.
     *
     * @param name an option name, case-sensitive
     * @return its percent-decoded value, or empty if the endpoint does not have it
     */
    public Optional<String> option(String name) {
        return Optional.ofNullable(options.get(name));
    }

    /**
     * A copy of this endpoint at another address, e.g. once a listener knows its port. A bare
     * endpoint stays bare.
     *
     * @param newAddress the replacement address, e.g. with a resolved port
     * @return this endpoint with another address and the same options
     * @throws IllegalArgumentException if the address is invalid for the scheme
     */
    public Endpoint withAddress(String newAddress) {
        Endpoint e = of(scheme, newAddress, options);
        return bare ? new Endpoint(e.scheme, e.address, e.options, true) : e;
    }

    /**
     * Whether this endpoint was written without a scheme (ipcez's {@code socket_init} form, e.g.
     * {@code /tmp/app.sock}) and resolved through the environment variables {@code target} and
     * {@code os}. Such an endpoint follows ipcez's rules: a local one's {@code maxFrame} is 4 MiB
     * unless an option says otherwise, and it is written back without a scheme. Never blocks.
     *
     * @return whether {@link #parse} read it without a scheme
     */
    public boolean isBare() {
        return bare;
    }

    /**
     * The endpoint written for messages and logs, without its secrets.
     *
     * @return the endpoint as messages and logs should show it: the values of options that carry
     *         secrets ({@code token}, {@code authkey}, and any whose name ends in
     *         {@code Password}) replaced by {@code ***}; the same as {@link #toString()} when
     *         there are none
     */
    public String redacted() {
        return written(true);
    }

    /** @return the endpoint in its canonical written form, which {@link #parse} reads back */
    @Override
    public String toString() {
        return written(false);
    }

    private String written(boolean redact) {
        StringBuilder sb = new StringBuilder(bare ? "" : scheme);
        if (bare) {
            // A bare "-" was written "-?": alone, "-" is stdio.
            sb.append(address).append(address.equals("-") && options.isEmpty() ? "?" : "");
        } else if (!scheme.equals("stdio")) {
            sb.append(URL_SCHEMES.contains(scheme) ? "://" : ":").append(address);
        }
        char sep = '?';
        for (Map.Entry<String, String> option : options.entrySet()) {
            String name = option.getKey();
            boolean secret = redact && isSecret(name);
            sb.append(sep).append(name).append('=')
                    .append(secret ? "***" : URLEncoder.encode(option.getValue(), StandardCharsets.UTF_8));
            sep = '&';
        }
        return sb.toString();
    }

    private static boolean isSecret(String optionName) {
        return optionName.equals("token") || optionName.equals("authkey") || optionName.endsWith("Password");
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Endpoint e && scheme.equals(e.scheme) && address.equals(e.address)
                && options.equals(e.options) && bare == e.bare;
    }

    @Override
    public int hashCode() {
        return Objects.hash(scheme, address, options, bare);
    }
}
