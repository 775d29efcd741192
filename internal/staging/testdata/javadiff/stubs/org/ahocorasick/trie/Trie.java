package org.ahocorasick.trie;
// Glossary search is not needed to stage: an empty trie.
public class Trie {
    public static TrieBuilder builder() { return new TrieBuilder(); }
    public java.util.Collection<Emit> parseText(CharSequence text) { return java.util.Collections.emptyList(); }
    public static class TrieBuilder {
        public TrieBuilder onlyWholeWords() { return this; }
        public TrieBuilder ignoreCase() { return this; }
        public TrieBuilder addKeyword(String k) { return this; }
        public Trie build() { return new Trie(); }
    }
}
