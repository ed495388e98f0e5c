// A jlink runtime in a FROM-scratch image: only java.base, and TLS through the JDK's own trust store.
public class Hello {
    public static void main(String[] args) throws Exception {
        System.out.println("java: " + System.getProperty("java.version"));
        System.out.println("tls: " + (javax.net.ssl.SSLContext.getDefault().getProtocol() != null));
        System.out.println("zone: " + java.time.ZoneId.of("Europe/Amsterdam").getRules().isDaylightSavings(java.time.Instant.parse("2024-07-01T00:00:00Z")));
    }
}
