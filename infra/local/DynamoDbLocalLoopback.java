import com.almworks.sqlite4java.SQLiteConnection;
import com.almworks.sqlite4java.SQLiteJob;
import com.almworks.sqlite4java.SQLiteQueue;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import software.amazon.dynamodb.services.local.main.ServerRunner;
import software.amazon.dynamodb.services.local.server.AbstractLocalDynamoDBServerHandler;
import software.amazon.dynamodb.services.local.server.DynamoDBProxyServer;
import software.amazon.dynamodb.services.local.server.LocalDynamoDBRequestHandler;
import software.amazon.dynamodb.services.local.shared.access.LocalDBClient;
import software.amazon.dynamodb.services.local.shared.access.sqlite.SQLiteDBAccess;

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
    Server server = (Server) field(proxy, DynamoDBProxyServer.class, "server");
    for (Connector connector : server.getConnectors()) {
      ((ServerConnector) connector).setHost("127.0.0.1");
    }
    prepareDatabase(proxy);
    // Unlike start(), throws when the port cannot be bound, so the JVM exits and says why.
    proxy.safeStart();
  }

  /**
   * DynamoDB Local keeps the records of every table's stream in one SQLite table whose only
   * key is the sequence number, and finds a stream's or a shard's records by scanning it:
   * each write to a table with a stream looks up the stream's first record, and each poll of
   * a quiet shard its latest. With 120,000 records kept, a DescribeTable took 25 ms instead
   * of 6, and a poll of a quiet shard 106 ms instead of 16, all while holding the one SQLite
   * connection every request waits for: a long run, or a test suite that makes a stage after
   * stage, slowed down as it went. An index on each column makes those lookups logarithmic;
   * an index changes how SQLite finds rows, never which. One column each: the sequence
   * number is the row id, which the SQLite that DynamoDB Local bundles (3.8.7) ranges over as
   * an index's implicit last key but not when the index names it, so (ShardID, SequenceNumber)
   * made every poll of a busy shard read the shard from its first record (49 ms at 100,000,
   * against 0.09 ms with these). Done before the server starts, on the database that
   * -sharedDb makes the only one and the one connection every request goes through.
   */
  private static void prepareDatabase(DynamoDBProxyServer proxy) throws Exception {
    Object serverHandler = field(proxy, DynamoDBProxyServer.class, "serverHandler");
    Object requestHandler = field(serverHandler, AbstractLocalDynamoDBServerHandler.class, "primaryHandler");
    if (!(requestHandler instanceof LocalDynamoDBRequestHandler) || !(Boolean) field(requestHandler, LocalDynamoDBRequestHandler.class, "sharedDb")) {
      throw new IllegalStateException("expected DynamoDB Local with -sharedDb");
    }
    Method getHandler = LocalDynamoDBRequestHandler.class.getDeclaredMethod("getHandler", String.class);
    getHandler.setAccessible(true);
    Object client = getHandler.invoke(requestHandler, "any key: the shared database");
    Object access = field(client, LocalDBClient.class, "dbAccess");
    SQLiteQueue queue = (SQLiteQueue) field(access, SQLiteDBAccess.class, "queue");
    queue.execute(new SQLiteJob<Void>() {
      @Override
      protected Void job(SQLiteConnection connection) throws Throwable {
        connection.exec("CREATE INDEX IF NOT EXISTS us_stream ON us (StreamID)");
        connection.exec("CREATE INDEX IF NOT EXISTS us_shard ON us (ShardID)");
        // A database on disk (npm start's DATA_DIR) committed every write with a rollback
        // journal and an fsync: BatchWriteItem of 25 items, 8 in flight, took 510-860 items/s,
        // and 3,300-3,800 with these settings (alternating, after the first round). Write-ahead
        // logging without an fsync per commit keeps every committed write through a crash or
        // a kill -9 of this process (the log is in the operating system's hands), losing only
        // the last ones if the machine itself stops: a local emulator's trade. In memory both
        // are no-ops.
        connection.exec("PRAGMA journal_mode=WAL");
        connection.exec("PRAGMA synchronous=NORMAL");
        return null;
      }
    }).complete();
  }

  private static Object field(Object owner, Class<?> declaring, String name) throws ReflectiveOperationException {
    Field field = declaring.getDeclaredField(name);
    field.setAccessible(true);
    return field.get(owner);
  }
}
