package seed

import (
	"context"
	"fmt"
	"time"

	"github.com/shopgraph/shopgraph/ent"
)

// node is a category to insert. Nodes are listed parents first, so a node's
// parent already has an id when its level is inserted.
type node struct {
	name, slug string
	parent     int // index in the node list; -1 for a root
	depth      int
	leaf       *leaf
}

// tree flattens categories into insertion order: level by level, each level
// in the order of its parents.
type tree struct {
	nodes []node
	slugs map[string]bool
}

func newTree() *tree { return &tree{slugs: map[string]bool{}} }

// add appends a category under parent (-1 for a root) and returns its index.
// A slug already taken is qualified by its parent's ("apparel-outlet-tops").
func (t *tree) add(name string, parent int, l *leaf) int {
	slug, depth := slugify(name), 0
	if parent >= 0 {
		depth = t.nodes[parent].depth + 1
		if t.slugs[slug] {
			slug = t.nodes[parent].slug + "-" + slug
		}
	}
	t.slugs[slug] = true
	t.nodes = append(t.nodes, node{name: name, slug: slug, parent: parent, depth: depth, leaf: l})
	return len(t.nodes) - 1
}

// demoTree is the demo departments as written: two or three levels.
func demoTree(depts []department) *tree {
	t := newTree()
	type pending struct {
		c      category
		parent int
		dept   *department
	}
	var level []pending
	for i := range depts {
		level = append(level, pending{category{name: depts[i].name, subs: depts[i].subs}, -1, &depts[i]})
	}
	for len(level) > 0 {
		var next []pending
		for _, p := range level {
			var l *leaf
			if len(p.c.subs) == 0 {
				l = newLeaf(p.dept, p.c)
			}
			idx := t.add(p.c.name, p.parent, l)
			for _, sub := range p.c.subs {
				next = append(next, pending{sub, idx, p.dept})
			}
		}
		level = next
	}
	return t
}

// scaleTree is three full levels: the departments, their subcategories and,
// under each of those, one product line per vocabulary line ("Premium
// Tops"), holding every noun of the subcategory. Eight departments of three
// subcategories and seven lines make 200 categories.
func scaleTree(depts []department, lines []string) *tree {
	t := newTree()
	roots := make([]int, len(depts))
	for i := range depts {
		roots[i] = t.add(depts[i].name, -1, nil)
	}
	type sub struct {
		idx  int
		leaf *leaf
	}
	var subs []sub
	for i := range depts {
		for _, c := range depts[i].subs {
			subs = append(subs, sub{t.add(c.name, roots[i], nil), newLeaf(&depts[i], c)})
		}
	}
	for _, s := range subs {
		for _, line := range lines {
			l := *s.leaf
			t.add(line+" "+t.nodes[s.idx].name, s.idx, &l)
		}
	}
	return t
}

// newLeaf gathers the title words of c and everything under it, falling back
// to the department's qualities.
func newLeaf(d *department, c category) *leaf {
	l := &leaf{dept: d}
	var walk func(c category)
	walk = func(c category) {
		l.qualities = append(l.qualities, c.qualities...)
		l.nouns = append(l.nouns, c.nouns...)
		for _, s := range c.subs {
			walk(s)
		}
	}
	walk(c)
	if len(l.qualities) == 0 {
		l.qualities = d.qualities
	}
	return l
}

// insert creates the categories, one statement per level, fills in the
// leaves' ids and returns the leaves in insertion order.
func (t *tree) insert(ctx context.Context, tx *ent.Tx, created time.Time) ([]*leaf, error) {
	ids := make([]int, 0, len(t.nodes))
	for start := 0; start < len(t.nodes); {
		end := start
		for end < len(t.nodes) && t.nodes[end].depth == t.nodes[start].depth {
			end++
		}
		builders := make([]*ent.CategoryCreate, 0, end-start)
		for _, n := range t.nodes[start:end] {
			b := tx.Category.Create().SetName(n.name).SetSlug(n.slug).SetCreatedAt(created)
			if n.parent >= 0 {
				b.SetParentID(ids[n.parent])
			}
			builders = append(builders, b)
		}
		rows, err := tx.Category.CreateBulk(builders...).Save(ctx)
		if err != nil {
			return nil, fmt.Errorf("insert %d categories: %w", len(builders), err)
		}
		for _, r := range rows {
			ids = append(ids, r.ID)
		}
		start = end
	}
	var leaves []*leaf
	for i, n := range t.nodes {
		if n.leaf != nil {
			n.leaf.id = ids[i]
			leaves = append(leaves, n.leaf)
		}
	}
	return leaves, nil
}
