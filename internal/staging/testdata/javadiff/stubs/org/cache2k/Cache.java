package org.cache2k;
// Minimal stand-in for the cache2k API the staging client uses: a loading map, no eviction.
public class Cache<K, V> {
    private final java.util.concurrent.ConcurrentHashMap<K, V> map = new java.util.concurrent.ConcurrentHashMap<>();
    private final Cache2kBuilder.Loader<K, V> loader;
    Cache(Cache2kBuilder.Loader<K, V> loader) { this.loader = loader; }
    public V get(K key) {
        V v = map.get(key);
        if (v != null) return v;
        try { v = loader.load(key); } catch (Exception e) { throw new RuntimeException(e); }
        if (v != null) map.put(key, v);
        return v;
    }
    public void removeAll() { map.clear(); }
}
