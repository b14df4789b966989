import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import org.apache.lucene.util.automaton.CharacterRunAutomaton;
import org.apache.lucene.util.automaton.RegExp;

/**
 * Reads lines "base64(regexp) base64(path)" on stdin and prints, per line,
 * whether Lucene's RegExp (all optional operators on, as OpenSearch's
 * regexp query by default) accepts the whole path, or "error: ..." when
 * Lucene rejects the regexp. Run with a lucene-core jar on the classpath:
 * java -cp lucene-core.jar LuceneRegexpMatch.java
 */
public class LuceneRegexpMatch {
  public static void main(String[] args) throws Exception {
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    Base64.Decoder b64 = Base64.getDecoder();
    StringBuilder out = new StringBuilder();
    for (String line; (line = in.readLine()) != null; ) {
      if (line.isEmpty()) continue;
      String[] parts = line.split(" ", 2);
      String regexp = new String(b64.decode(parts[0]), StandardCharsets.UTF_8);
      String path = new String(b64.decode(parts[1]), StandardCharsets.UTF_8);
      try {
        CharacterRunAutomaton run = new CharacterRunAutomaton(new RegExp(regexp, RegExp.ALL).toAutomaton());
        out.append(run.run(path)).append('\n');
      } catch (Exception e) {
        out.append("error: ").append(String.valueOf(e.getMessage()).replace('\n', ' ')).append('\n');
      }
    }
    System.out.print(out);
  }
}
