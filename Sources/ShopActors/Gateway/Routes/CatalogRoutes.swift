import HTTPTypes
import Hummingbird

extension Gateway {
    /// `{"categories":[...]}`; an empty list is left out (`{}`), as the original's omitempty did.
    struct CategoryList: Codable {
        var categories: [Category]?
    }

    struct ProductList: Codable {
        var products: [Product]?
    }

    func addCatalogRoutes(to routes: inout [(HTTPRequest.Method, String, Handler)]) {
        routes.append(
            (
                .get, "/api/categories",
                { request, _ in
                    let page = try QueryParameters(request).page()
                    let categories = try await self.backends.call("product") {
                        try await self.backends.products().categories(page)
                    }
                    return JSONResponse.make(CategoryList(categories: categories.isEmpty ? nil : categories))
                }
            ))
        routes.append(
            (
                .get, "/api/products",
                { request, _ in
                    let query = QueryParameters(request)
                    guard let category = query.string("category_id") else {
                        throw GatewayError(
                            .badRequest, "category_id query parameters are missing", parameter: "category_id")
                    }
                    guard category.utf8.count <= 255 else {
                        throw GatewayError.badParameter("category_id", "is too long")
                    }
                    let page = try query.page()
                    let products = try await self.backends.call("product") {
                        try await self.backends.products().products(categoryID: category, page)
                    }
                    return JSONResponse.make(ProductList(products: products.isEmpty ? nil : products))
                }
            ))
    }
}
