/* placeholder: replaced by the demo implementation */
