package org.cache2k;
public abstract class Cache2kBuilder<K, V> {
    public interface Loader<K, V> { V load(K key) throws Exception; }
    private Loader<K, V> loader;
    protected Cache2kBuilder() {}
    public Cache2kBuilder<K, V> entryCapacity(long n) { return this; }
    public Cache2kBuilder<K, V> eternal(boolean b) { return this; }
    public Cache2kBuilder<K, V> loader(Loader<K, V> l) { this.loader = l; return this; }
    public Cache<K, V> build() { return new Cache<>(loader); }
}
