import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.regex.Pattern;

/**
 * Reads lines "base64(regex) base64(path)" on stdin and prints, per line,
 * whether the regex matches the whole path as Cypher's =~ does
 * (Pattern.matches), or "error: ..." when Java rejects the regex.
 * Run as a single-file program: java JavaRegexMatch.java
 */
public class JavaRegexMatch {
  public static void main(String[] args) throws Exception {
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    Base64.Decoder b64 = Base64.getDecoder();
    StringBuilder out = new StringBuilder();
    for (String line; (line = in.readLine()) != null; ) {
      if (line.isEmpty()) continue;
      String[] parts = line.split(" ", 2);
      String regex = new String(b64.decode(parts[0]), StandardCharsets.UTF_8);
      String path = new String(b64.decode(parts[1]), StandardCharsets.UTF_8);
      try {
        out.append(Pattern.compile(regex).matcher(path).matches()).append('\n');
      } catch (Exception e) {
        out.append("error: ").append(e.getMessage().replace('\n', ' ')).append('\n');
      }
    }
    System.out.print(out);
  }
}
