package seed

// department is a root category with what it takes to make up its products:
// the words of their titles, the sentences of their descriptions, the
// options their variants differ by and the range of their prices.
type department struct {
	name string
	// qualities open a product title ("Merino" Cardigan); a category's own
	// qualities, if any, take precedence.
	qualities []string
	// features are description sentences.
	features []string
	// axes are the variant options; a variant's title joins one value of
	// each axis ("Small / Blue"). The first axis raises the price, as a
	// larger size or a better format does. Every department offers at least
	// seven combinations, the most variants a product gets.
	axes [][]string
	// minPrice and maxPrice bound variant prices, in cents.
	minPrice, maxPrice int64
	subs               []category
}

// category is a node under a department. Products go in leaves; a leaf's
// nouns name them ("Cardigan").
type category struct {
	name      string
	qualities []string
	nouns     []string
	subs      []category
}

// vocabulary is the word lists the generators draw from. It is built per
// run rather than held in package variables so that nothing in the package
// is shared mutable state.
type vocabulary struct {
	// departments: the first demoDepartments are the demo store; Scale uses
	// all of them.
	departments []department
	closings    []string
	firstNames  []string
	lastNames   []string
	// reviewTitles and reviewBodies are indexed by rating-1.
	reviewTitles [5][]string
	reviewBodies [5][]string
	// lines prefix the third-level categories of the Scale tree.
	lines []string
}

// demoDepartments is how many of vocabulary.departments the demo store has.
const demoDepartments = 6

func newVocabulary() *vocabulary {
	return &vocabulary{
		departments: departments(),
		closings: []string{
			"Backed by our 30-day return promise.",
			"Ships free on orders over $50.",
			"Designed in-house and made in small batches.",
			"Packed in plastic-free, recyclable packaging.",
			"Covered by a two-year warranty.",
		},
		firstNames: []string{
			"Olivia", "Noah", "Emma", "Liam", "Aisha", "Mateo", "Yuki", "Priya",
			"Lucas", "Chloe", "Omar", "Freya", "Diego", "Nina", "Kofi", "Elena",
			"Hugo", "Maya", "Ravi", "Ingrid", "Jonas", "Leila", "Marco", "Zoe",
		},
		lastNames: []string{
			"Nguyen", "Garcia", "Smith", "Okafor", "Kowalski", "Tanaka", "Patel",
			"Johansson", "Rossi", "Dubois", "Kim", "Haddad", "Silva", "Murphy",
			"Novak", "Fischer", "Mensah", "Larsen", "Costa", "Reyes",
		},
		reviewTitles: [5][]string{
			{"Would not buy again", "Broke within a week", "Very disappointed"},
			{"Not as described", "Expected better", "Returned it"},
			{"It's fine", "Decent, not amazing", "Does the job"},
			{"Really good", "Very happy", "Great value", "Solid choice"},
			{"Love it", "Exceeded expectations", "Worth every penny", "Perfect", "Buying another"},
		},
		reviewBodies: [5][]string{
			{"Fell apart after a few uses. Support was slow to answer.", "The quality is far below what the photos suggest."},
			{"The colour is off and it runs small.", "Works, but it feels cheap for the price."},
			{"Does what it says. Nothing special, nothing wrong.", "Okay for the price, though shipping took a while."},
			{"Well made and arrived quickly. Knocked off a star for the packaging.", "Good quality and fits as expected. Would recommend."},
			{"Exactly what I wanted. The quality is excellent and it arrived in two days.", "I use it every day. Already ordered one for a friend.", "Beautifully made and better in person than in the photos."},
		},
		lines: []string{"Everyday", "Premium", "Eco", "Classic", "Limited", "Kids'", "Outlet"},
	}
}

func departments() []department {
	return []department{
		{
			name:      "Apparel",
			qualities: []string{"Classic", "Everyday", "Relaxed", "Slim-Fit", "Organic Cotton", "Merino", "Linen", "Heavyweight", "Recycled"},
			features: []string{
				"Cut from soft, breathable fabric that gets better with every wash.",
				"Pre-shrunk and garment-dyed for a lived-in feel.",
				"Finished with reinforced seams for years of wear.",
				"A relaxed fit that layers easily.",
				"Made from fibres traceable to the farm.",
			},
			axes:     [][]string{{"Small", "Medium", "Large", "X-Large"}, {"Black", "Navy", "Heather Grey", "Olive", "Oatmeal", "Blue"}},
			minPrice: 1499, maxPrice: 12999,
			subs: []category{
				{name: "Tops", subs: []category{
					{name: "T-Shirts", nouns: []string{"Crew Tee", "V-Neck Tee", "Pocket Tee", "Long-Sleeve Tee", "Henley"}},
					{name: "Sweaters", nouns: []string{"Crewneck Sweater", "Cardigan", "Hoodie", "Quarter-Zip"}},
				}},
				{name: "Bottoms", subs: []category{
					{name: "Jeans", nouns: []string{"Straight Jeans", "Slim Jeans", "Relaxed Jeans"}},
					{name: "Shorts", nouns: []string{"Chino Shorts", "Running Shorts", "Cargo Shorts"}},
				}},
				{name: "Outerwear", nouns: []string{"Rain Jacket", "Puffer Jacket", "Overshirt", "Chore Coat", "Fleece"}},
			},
		},
		{
			name:      "Footwear",
			qualities: []string{"Leather", "Suede", "Canvas", "Trail", "Lightweight", "Waterproof", "Classic", "Retro"},
			features: []string{
				"A cushioned footbed keeps you comfortable all day.",
				"The grippy rubber outsole handles wet pavement.",
				"Stitched, not glued, so it can be resoled.",
				"Breaks in within a week.",
				"Runs true to size; go half a size up for thick socks.",
			},
			axes:     [][]string{{"US 7", "US 8", "US 9", "US 10", "US 11", "US 12"}, {"Black", "White", "Tan", "Grey", "Navy"}},
			minPrice: 3999, maxPrice: 19999,
			subs: []category{
				{name: "Sneakers", nouns: []string{"Low-Top Sneaker", "High-Top Sneaker", "Running Shoe", "Slip-On"}},
				{name: "Boots", nouns: []string{"Chelsea Boot", "Hiking Boot", "Work Boot", "Chukka"}},
				{name: "Sandals", nouns: []string{"Slide", "Sport Sandal", "Flip-Flop"}},
			},
		},
		{
			name:      "Home & Kitchen",
			qualities: []string{"Cast Iron", "Stainless Steel", "Ceramic", "Stoneware", "Bamboo", "Linen", "Nonstick", "Enamelled", "Handmade"},
			features: []string{
				"Dishwasher safe and built for daily use.",
				"Heats evenly on gas, electric and induction.",
				"Glazed by hand, so no two are quite alike.",
				"Stonewashed for a soft, relaxed drape.",
				"Free of PFAS and other forever chemicals.",
			},
			axes:     [][]string{{"Small", "Medium", "Large"}, {"Cream", "Charcoal", "Sage", "Terracotta", "Slate Blue"}},
			minPrice: 999, maxPrice: 17999,
			subs: []category{
				{name: "Cookware", subs: []category{
					{name: "Pans", nouns: []string{"Skillet", "Saute Pan", "Grill Pan", "Wok"}},
					{name: "Knives", nouns: []string{"Chef's Knife", "Paring Knife", "Bread Knife", "Knife Block Set"}},
				}},
				{name: "Tableware", nouns: []string{"Dinner Plate Set", "Pasta Bowl", "Mug", "Serving Platter", "Tumbler Set"}},
				{name: "Bedding", nouns: []string{"Duvet Cover", "Sheet Set", "Pillowcase Pair", "Throw Blanket"}},
			},
		},
		{
			name:      "Electronics",
			qualities: []string{"Wireless", "Noise-Cancelling", "Compact", "Pro", "Fast-Charge", "Portable", "Smart", "Studio"},
			features: []string{
				"Up to 30 hours of battery life on a single charge.",
				"Pairs instantly with phones, tablets and laptops.",
				"Charges over USB-C, with a cable in the box.",
				"Firmware updates add features over time.",
				"Built from 70% recycled aluminium.",
			},
			axes:     [][]string{{"Standard", "Plus", "Pro"}, {"Black", "White", "Graphite", "Sand", "Midnight Blue"}},
			minPrice: 1299, maxPrice: 19999,
			subs: []category{
				{name: "Audio", subs: []category{
					{name: "Headphones", nouns: []string{"Over-Ear Headphones", "Earbuds", "On-Ear Headphones"}},
					{name: "Speakers", nouns: []string{"Bluetooth Speaker", "Bookshelf Speaker", "Soundbar"}},
				}},
				{name: "Chargers & Cables", nouns: []string{"USB-C Cable", "Wall Charger", "Power Bank", "Charging Dock"}},
				{name: "Smart Home", nouns: []string{"Smart Plug", "Smart Bulb", "Video Doorbell", "Thermostat"}},
			},
		},
		{
			name:      "Outdoor",
			qualities: []string{"Ultralight", "Waterproof", "Insulated", "Packable", "Rugged", "Alpine", "Trail"},
			features: []string{
				"Packs down small enough for a day bag.",
				"Seam-taped against the worst of the weather.",
				"Tested for a full season in the Scottish Highlands.",
				"Repairable, with spare parts sold separately.",
				"Weighs less than a litre of water.",
			},
			axes:     [][]string{{"Regular", "Long", "Wide"}, {"Forest Green", "Orange", "Black", "Sky Blue"}},
			minPrice: 1999, maxPrice: 19999,
			subs: []category{
				{name: "Camping", nouns: []string{"Tent", "Sleeping Bag", "Sleeping Pad", "Camp Stove", "Lantern"}},
				{name: "Hiking", nouns: []string{"Daypack", "Trekking Poles", "Water Bottle", "Hiking Socks"}},
				{name: "Cycling", nouns: []string{"Bike Helmet", "Bike Light Set", "Saddle Bag", "Cycling Gloves"}},
			},
		},
		{
			name:      "Books",
			qualities: []string{"The Quiet", "The Last", "The Hidden", "Northern"},
			features: []string{
				"A staff favourite, and a bestseller three years running.",
				"Printed on FSC-certified paper.",
				"Includes a new afterword by the author.",
				"Shortlisted for a national book award.",
				"Beautifully illustrated throughout.",
			},
			axes:     [][]string{{"E-book", "Paperback", "Hardcover", "Audiobook"}, {"English", "Spanish"}},
			minPrice: 499, maxPrice: 4999,
			subs: []category{
				{name: "Fiction", qualities: []string{"The Quiet", "The Last", "The Hidden", "A Winter's", "Northern"}, nouns: []string{"Harbor", "Orchard", "Lighthouse", "Cartographer", "Garden", "Letters"}},
				{name: "Cookbooks", qualities: []string{"Weeknight", "Plant-Based", "Sunday", "Simple", "Coastal"}, nouns: []string{"Suppers", "Baking", "Bowls", "Feasts"}},
				{name: "Travel", qualities: []string{"Slow", "Coastal", "Mountain", "Island", "Hidden"}, nouns: []string{"Roads", "Trails", "Journeys", "Cities"}},
			},
		},
		{
			name:      "Toys & Games",
			qualities: []string{"Wooden", "Classic", "Deluxe", "Magnetic", "Junior", "Family"},
			features: []string{
				"Safety tested for ages three and up.",
				"Finished with non-toxic, water-based paints.",
				"Rules fit on one card; games last about thirty minutes.",
				"Stores neatly in its own box.",
			},
			axes:     [][]string{{"Standard", "Deluxe"}, {"Red", "Blue", "Green", "Yellow"}},
			minPrice: 999, maxPrice: 7999,
			subs: []category{
				{name: "Board Games", nouns: []string{"Strategy Game", "Party Game", "Card Game", "Jigsaw Puzzle"}},
				{name: "Building Sets", nouns: []string{"Block Set", "Marble Run", "Construction Kit"}},
				{name: "Outdoor Play", nouns: []string{"Kite", "Frisbee", "Water Blaster"}},
			},
		},
		{
			name:      "Beauty",
			qualities: []string{"Hydrating", "Gentle", "Daily", "Brightening", "Unscented", "Botanical"},
			features: []string{
				"Dermatologist tested and suitable for sensitive skin.",
				"Vegan and never tested on animals.",
				"Refillable glass bottle.",
				"Absorbs quickly without a greasy finish.",
			},
			axes:     [][]string{{"30 ml", "50 ml", "100 ml"}, {"Unscented", "Citrus", "Lavender"}},
			minPrice: 799, maxPrice: 5999,
			subs: []category{
				{name: "Skincare", nouns: []string{"Face Cream", "Serum", "Cleanser", "Sunscreen"}},
				{name: "Hair Care", nouns: []string{"Shampoo", "Conditioner", "Hair Oil"}},
				{name: "Bath & Body", nouns: []string{"Body Wash", "Hand Cream", "Body Lotion"}},
			},
		},
	}
}
