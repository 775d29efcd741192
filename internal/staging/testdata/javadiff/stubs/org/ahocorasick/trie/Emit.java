package org.ahocorasick.trie;
public class Emit { public String getKeyword() { return ""; } public int getStart() { return 0; } public int getEnd() { return 0; } }
