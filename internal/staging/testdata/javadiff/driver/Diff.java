import java.io.*;
import java.nio.file.Path;
import java.util.*;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.imsweb.staging.*;
import com.imsweb.staging.entities.*;

// Reads one JSON object of staging inputs a line, stages it with the staging library and writes
// the schema, the result, the outputs and the error types as one JSON line; a line "L{...}" of
// selection keys gets the schemas they select.
public class Diff {
    public static void main(String[] args) throws Exception {
        Staging staging = Staging.getInstance(new ExternalStagingFileDataProvider(Path.of(args[0])));
        ObjectMapper m = new ObjectMapper();
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, "UTF-8"));
        PrintStream out = new PrintStream(new BufferedOutputStream(System.out), false, "UTF-8");
        String line;
        while ((line = in.readLine()) != null) {
            // "L{...}" asks only which schemas the keys select.
            if (line.startsWith("L")) {
                @SuppressWarnings("unchecked")
                Map<String, String> keys = m.readValue(line.substring(1), Map.class);
                List<String> ids = new ArrayList<>();
                for (Schema s : staging.lookupSchema(new SchemaLookup(keys)))
                    ids.add(s.getId());
                Collections.sort(ids);
                out.println(m.writeValueAsString(Map.of("lookup", ids)));
                continue;
            }
            @SuppressWarnings("unchecked")
            Map<String, String> inputs = m.readValue(line, Map.class);
            StagingData data = new StagingData();
            inputs.forEach(data::setInput);
            Map<String, Object> res = new LinkedHashMap<>();
            try {
                staging.stage(data);
                res.put("schema", data.getSchemaId());
                res.put("result", String.valueOf(data.getResult()));
                res.put("outputs", data.getOutput());
                List<String> errs = new ArrayList<>();
                for (com.imsweb.staging.entities.Error e : data.getErrors()) errs.add(e.getType() + ":" + e.getKey() + ":" + e.getTable());
                res.put("errors", errs);
            } catch (RuntimeException e) {
                res.put("exception", e.toString());
            }
            out.println(m.writeValueAsString(res));
        }
        out.flush();
    }
}
