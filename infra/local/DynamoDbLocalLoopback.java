import java.lang.reflect.Field;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import software.amazon.dynamodb.services.local.main.ServerRunner;
import software.amazon.dynamodb.services.local.server.DynamoDBProxyServer;

/**
 * DynamoDB Local on 127.0.0.1 only. The jar has no bind option (its Jetty server listens
 * on every interface), so this builds the server from the usual command-line options and
 * sets the host of its connector before it starts. Run by emulators.ts with Java's
 * source-file launcher, so nothing is compiled ahead. Skipping ServerRunner.main also
 * leaves DynamoDB Local's telemetry unconfigured, so it sends none.
 */
public class DynamoDbLocalLoopback {
  public static void main(String[] args) throws Exception {
    DynamoDBProxyServer proxy = ServerRunner.createServerFromCommandLineArgs(args);
    Field field = DynamoDBProxyServer.class.getDeclaredField("server");
    field.setAccessible(true);
    for (Connector connector : ((Server) field.get(proxy)).getConnectors()) {
      ((ServerConnector) connector).setHost("127.0.0.1");
    }
    // Unlike start(), throws when the port cannot be bound, so the JVM exits and says why.
    proxy.safeStart();
  }
}
